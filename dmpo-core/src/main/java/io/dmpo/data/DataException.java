package io.dmpo.data;

/** A dataset problem, reported as one line naming the file and the field ({@code file: field 'x': what}). */
public final class DataException extends RuntimeException {
    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }

    static DataException field(String source, String field, String what) {
        return new DataException(source + ": field '" + field + "': " + what);
    }
}
