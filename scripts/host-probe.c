/*
 * What the host gives this machine, measured without the JVM: FMA throughput of one core (twelve independent 8-float
 * fma chains, unrolled), or the read bandwidth of a buffer of a given size (summed over and over), reported every
 * 100 ms. `scripts/host-probe` runs it on each CPU, alone and together, so a benchmark's spread can be told apart
 * from the host's: if this C loop keeps its speed while the engine's figure moves, the engine (JIT, GC, threads) is
 * the suspect; if this moves too, the host is. AVX2 + FMA only (the weakest x86 this project targets).
 */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

/* min / median / max of the samples, then the samples */
static void report(const char *what, const char *unit, double *v, int n) {
    double *s = malloc(n * sizeof(double));
    memcpy(s, v, n * sizeof(double));
    qsort(s, n, sizeof(double), cmp);
    printf("%-34s min %6.1f  median %6.1f  max %6.1f %s   every 100 ms:", what, s[0], s[n / 2], s[n - 1], unit);
    for (int i = 0; i < n; i++) printf(" %.0f", v[i]);
    printf("\n");
    free(s);
}

static float fma_samples(double *v, int n) {
    __m256 a0 = _mm256_set1_ps(0.10f), a1 = _mm256_set1_ps(0.11f), a2 = _mm256_set1_ps(0.12f),
           a3 = _mm256_set1_ps(0.13f), a4 = _mm256_set1_ps(0.14f), a5 = _mm256_set1_ps(0.15f),
           a6 = _mm256_set1_ps(0.16f), a7 = _mm256_set1_ps(0.17f), a8 = _mm256_set1_ps(0.18f),
           a9 = _mm256_set1_ps(0.19f), a10 = _mm256_set1_ps(0.20f), a11 = _mm256_set1_ps(0.21f);
    const __m256 m = _mm256_set1_ps(0.999f), d = _mm256_set1_ps(1e-3f);
    for (int s = 0; s < n; s++) {
        double t0 = now(), t;
        long trips = 0;
        do {
            for (int k = 0; k < 1000; k++) {
                a0 = _mm256_fmadd_ps(a0, m, d); a1 = _mm256_fmadd_ps(a1, m, d); a2 = _mm256_fmadd_ps(a2, m, d);
                a3 = _mm256_fmadd_ps(a3, m, d); a4 = _mm256_fmadd_ps(a4, m, d); a5 = _mm256_fmadd_ps(a5, m, d);
                a6 = _mm256_fmadd_ps(a6, m, d); a7 = _mm256_fmadd_ps(a7, m, d); a8 = _mm256_fmadd_ps(a8, m, d);
                a9 = _mm256_fmadd_ps(a9, m, d); a10 = _mm256_fmadd_ps(a10, m, d); a11 = _mm256_fmadd_ps(a11, m, d);
            }
            trips += 1000;
        } while ((t = now()) - t0 < 0.1);
        v[s] = trips * 12.0 * 8 * 2 / (t - t0) / 1e9;
    }
    __m256 all = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                               _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)),
                                             _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11))));
    return _mm256_cvtss_f32(all);
}

static float read_samples(long bytes, double *v, int n) {
    long floats = bytes / 4 / 32 * 32;
    float *b = aligned_alloc(64, floats * 4);
    if (!b) {
        fprintf(stderr, "host-probe: error: cannot allocate %ld bytes\n", bytes);
        exit(1);
    }
    for (long i = 0; i < floats; i++) b[i] = (float) (i % 7);
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (int s = 0; s < n; s++) {
        double t0 = now(), t;
        long passes = 0;
        do {
            for (long i = 0; i < floats; i += 32) {
                s0 = _mm256_add_ps(s0, _mm256_load_ps(b + i));
                s1 = _mm256_add_ps(s1, _mm256_load_ps(b + i + 8));
                s2 = _mm256_add_ps(s2, _mm256_load_ps(b + i + 16));
                s3 = _mm256_add_ps(s3, _mm256_load_ps(b + i + 24));
            }
            passes++;
        } while ((t = now()) - t0 < 0.1);
        v[s] = passes * floats * 4.0 / (t - t0) / 1e9;
    }
    free(b);
    return _mm256_cvtss_f32(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

int main(int argc, char **argv) {
    if (argc < 4 || (strcmp(argv[1], "fma") != 0 && strcmp(argv[1], "read") != 0)) {
        fprintf(stderr, "usage: host-probe fma LABEL SECONDS | host-probe read LABEL SECONDS BYTES\n");
        return 2;
    }
    int n = (int) (atof(argv[3]) * 10);
    if (n < 1 || n > 100000) {
        fprintf(stderr, "host-probe: error: seconds must be in [0.1, 10000], got %s\n", argv[3]);
        return 2;
    }
    double *v = malloc(n * sizeof(double));
    float keep;
    if (argv[1][0] == 'f') {
        keep = fma_samples(v, n);
        report(argv[2], "GFLOP/s", v, n);
    } else {
        long bytes = argc > 4 ? atol(argv[4]) : 0;
        if (bytes < 4096) {
            fprintf(stderr, "host-probe: error: read needs BYTES >= 4096, got %s\n", argc > 4 ? argv[4] : "none");
            return 2;
        }
        keep = read_samples(bytes, v, n);
        report(argv[2], "GB/s", v, n);
    }
    free(v);
    return keep == 12345.0f ? 3 : 0; /* keeps the loops' results alive */
}
