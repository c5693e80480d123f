/*
 * What the host gives this machine, measured without the JVM: FMA throughput of one core (twelve independent 8-float
 * fma chains, unrolled), or the read bandwidth of a buffer of a given size (summed over and over), reported every
 * 100 ms. `scripts/host-probe` runs it on each CPU, alone and together, so a benchmark's spread can be told apart
 * from the host's: if this C loop keeps its speed while the engine's figure moves, the engine (JIT, GC, threads) is
 * the suspect; if this moves too, the host is. AVX2 + FMA only (the weakest x86 this project targets).
 */
#include <immintrin.h>
#include <pthread.h>
#include <stdatomic.h>
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

/* 1000 rounds of twelve independent fma chains; the chains live in registers inside (not across the clock calls) */
static __attribute__((noinline)) void fma_block(__m256 *a) {
    __m256 a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7], a8 = a[8],
           a9 = a[9], a10 = a[10], a11 = a[11];
    const __m256 m = _mm256_set1_ps(0.999f), d = _mm256_set1_ps(1e-3f);
    for (int k = 0; k < 1000; k++) {
        a0 = _mm256_fmadd_ps(a0, m, d); a1 = _mm256_fmadd_ps(a1, m, d); a2 = _mm256_fmadd_ps(a2, m, d);
        a3 = _mm256_fmadd_ps(a3, m, d); a4 = _mm256_fmadd_ps(a4, m, d); a5 = _mm256_fmadd_ps(a5, m, d);
        a6 = _mm256_fmadd_ps(a6, m, d); a7 = _mm256_fmadd_ps(a7, m, d); a8 = _mm256_fmadd_ps(a8, m, d);
        a9 = _mm256_fmadd_ps(a9, m, d); a10 = _mm256_fmadd_ps(a10, m, d); a11 = _mm256_fmadd_ps(a11, m, d);
    }
    a[0] = a0; a[1] = a1; a[2] = a2; a[3] = a3; a[4] = a4; a[5] = a5; a[6] = a6; a[7] = a7; a[8] = a8;
    a[9] = a9; a[10] = a10; a[11] = a11;
}

static float fma_samples(double *v, int n) {
    __m256 a[12];
    for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps(0.1f + 0.01f * i);
    for (int s = 0; s < n; s++) {
        double t0 = now(), t;
        long blocks = 0;
        do {
            fma_block(a);
            blocks++;
        } while ((t = now()) - t0 < 0.1);
        v[s] = blocks * 1000.0 * 12 * 8 * 2 / (t - t0) / 1e9;
    }
    __m256 all = a[0];
    for (int i = 1; i < 12; i++) all = _mm256_add_ps(all, a[i]);
    return _mm256_cvtss_f32(all);
}

/* one pass over the buffer with four independent sums in registers */
static __attribute__((noinline)) __m256 read_pass(const float *b, long floats) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (long i = 0; i < floats; i += 32) {
        s0 = _mm256_add_ps(s0, _mm256_load_ps(b + i));
        s1 = _mm256_add_ps(s1, _mm256_load_ps(b + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_load_ps(b + i + 16));
        s3 = _mm256_add_ps(s3, _mm256_load_ps(b + i + 24));
    }
    return _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
}

static float read_samples(long bytes, double *v, int n) {
    long floats = bytes / 4 / 32 * 32;
    float *b = aligned_alloc(64, floats * 4);
    if (!b) {
        fprintf(stderr, "host-probe: error: cannot allocate %ld bytes\n", bytes);
        exit(1);
    }
    for (long i = 0; i < floats; i++) b[i] = (float) (i % 7);
    __m256 sum = _mm256_setzero_ps();
    for (int s = 0; s < n; s++) {
        double t0 = now(), t;
        long passes = 0;
        do {
            sum = _mm256_add_ps(sum, read_pass(b, floats));
            passes++;
        } while ((t = now()) - t0 < 0.1);
        v[s] = passes * floats * 4.0 / (t - t0) / 1e9;
    }
    free(b);
    return _mm256_cvtss_f32(sum);
}

/* wake-up latency of a thread blocked on a condition variable (what a parked helper costs to hand work to) */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static atomic_long posted, seen;

static void *sleeper(void *arg) {
    (void) arg;
    long mine = 0;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (atomic_load(&posted) == mine) pthread_cond_wait(&cond, &lock);
        mine = atomic_load(&posted);
        pthread_mutex_unlock(&lock);
        if (mine < 0) return NULL;
        atomic_store(&seen, mine);
    }
}

static void wake_samples(double gap_us, double *v, int n) {
    pthread_t t;
    pthread_create(&t, NULL, sleeper, NULL);
    for (int i = 0; i < n; i++) {
        double until = now() + gap_us * 1e-6;
        while (now() < until) _mm_pause(); /* the caller stays busy: only the sleeper's CPU goes idle */
        double t0 = now();
        pthread_mutex_lock(&lock);
        long g = atomic_load(&posted) + 1;
        atomic_store(&posted, g);
        pthread_cond_signal(&cond);
        pthread_mutex_unlock(&lock);
        while (atomic_load(&seen) != g) _mm_pause();
        v[i] = (now() - t0) * 1e6;
    }
    pthread_mutex_lock(&lock);
    atomic_store(&posted, -1);
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
}

int main(int argc, char **argv) {
    if (argc < 4 || (strcmp(argv[1], "fma") != 0 && strcmp(argv[1], "read") != 0 && strcmp(argv[1], "wake") != 0)) {
        fprintf(stderr, "usage: host-probe fma LABEL SECONDS | read LABEL SECONDS BYTES | wake LABEL COUNT GAP_US\n");
        return 2;
    }
    if (argv[1][0] == 'w') {
        int count = atoi(argv[3]);
        double gap = argc > 4 ? atof(argv[4]) : -1;
        if (count < 10 || count > 1000000 || !(gap >= 0 && gap <= 1e6)) {
            fprintf(stderr, "host-probe: error: wake needs COUNT in [10, 1e6] and GAP_US in [0, 1e6]\n");
            return 2;
        }
        double *w = malloc(count * sizeof(double));
        wake_samples(gap, w, count);
        qsort(w, count, sizeof(double), cmp);
        printf("%-34s median %6.1f  p90 %6.1f  p99 %6.1f  max %7.1f us\n", argv[2], w[count / 2], w[count * 9 / 10],
               w[count * 99 / 100], w[count - 1]);
        free(w);
        return 0;
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
