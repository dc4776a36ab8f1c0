/* Exact BM25 top-k over compact postings: the compiled twin of CompiledIndex._top_numpy.
 *
 * prepare(index) -> a capsule holding the arrays (checked once); top(prepared, ...) ranks with it.
 *
 * top(prepared, terms, counts, limit, base, acc, mark, prune)
 *   index   tuple (ptr int64[V+1], post_lo uint16[P], seg_ptr int64[V+1], seg_hi uint32[S], seg_end uint32[S],
 *           post_cls uint16[P], tf_big_pos int64[B], tf_big int32[B], idf float64[V], max_impact float64[V],
 *           absent float64[V], cls_a, cls_b, cls_c float64[C] (per class: see CompiledIndex._class_tables),
 *           norm float64[N] (empty when no posting escapes), variant int (0 okapi, 1 plus, 2 l), k1, delta,
 *           number of paragraphs N)
 *           -- the layout is described in retrieval/postings.py
 *   terms   list[int]    distinct query term ids, in query order
 *   counts  list[float]  each term's multiplier (count in the query x weight)
 *   limit   int          how many paragraphs to return
 *   base    float        score of a paragraph containing none of the terms (BM25+ only, else 0)
 *   acc     float64[N]   scratch, all zeros; left all zeros (one per thread)
 *   mark    uint8[M]     scratch, all zeros; left all zeros (one per thread): a byte per paragraph (seen),
 *                        then from byte ceil8(N) a bitmap of ceil(N/64) words (pruning candidates)
 *   prune   bool         allow dynamic pruning (same results)
 * returns (ids, scores, best_terms): the best `limit` paragraphs (score descending, then id),
 * and the term ids the best one contains.
 *
 * A posting's impact is computed from the term's idf and its (tf, length) class's table entries, finishing
 * exactly the operations of CompiledIndex.gains (built with -ffp-contract=off: no fused multiply-add),
 * and every returned score is summed term after term in query order, as rank-bm25 and numpy's add.at
 * do: the same floats as the numpy path.
 *
 * Exhaustive mode adds every posting of every term. Pruned mode (all impacts >= 0) reads the terms
 * with the largest maximum impact first; once the k-th best partial score exceeds what the terms left
 * could add to an unseen paragraph, it only looks those terms up for the paragraphs that can still
 * reach the top k. The finalists (whose approximate score is within a safe margin of the k-th) are then
 * rescored exactly in query order, so order-of-summation differences never change the result.
 *
 * Every index read is bounds-checked: a damaged index raises ValueError instead of reading out of
 * bounds. The GIL is released while scoring.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>

#define CLS_ESCAPE 0xFFFF
#define N_ARRAYS 15
#define ACC(p) acc[p]
/* Marks paragraph p seen, counting it in nt the first time (branch-free: which postings are new is unpredictable;
 * a byte, not a bit, so that consecutive postings never wait for each other's store). */
#define SEE(m, p, nt) do { (nt) += !(m)[p]; (m)[p] = 1; } while (0)

/* How many questions took the pruned path, and how many of those skipped postings (for tests and the
 * benchmark; updated without a lock, so counts from concurrent threads are approximate). */
static long long stat_pruned = 0, stat_skipped = 0;

static int kind_ok(const Py_buffer *view, char kind, Py_ssize_t itemsize) {
    const char *f = view->format ? view->format : "B";
    if (*f == '@' || *f == '=' || *f == '<') f++;
    if (view->itemsize != itemsize || view->ndim != 1) return 0;
    if (kind == 'i') return *f == 'i' || *f == 'l' || *f == 'q';  /* signed integer of that size */
    if (kind == 'u') return *f == 'I' || *f == 'L' || *f == 'Q' || *f == 'H' || *f == 'B';
    return *f == kind;
}

static int get_array(PyObject *obj, Py_buffer *view, char kind, Py_ssize_t itemsize, int writable,
                     const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    if (!kind_ok(view, kind, itemsize)) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_TypeError, "%s has the wrong dtype or shape", name);
        return -1;
    }
    return 0;
}

/* Insert (p, s) into the top list (score descending, then id ascending) of capacity cap. */
static inline void offer(int32_t *top_ids, double *top_vals, Py_ssize_t *n_top, Py_ssize_t cap, int32_t p, double s) {
    Py_ssize_t pos;
    if (*n_top == cap) {
        double ws = top_vals[cap - 1];
        if (s < ws || (s == ws && p > top_ids[cap - 1])) return;
        pos = cap - 1;
    } else {
        pos = (*n_top)++;
    }
    while (pos > 0 && (top_vals[pos - 1] < s || (top_vals[pos - 1] == s && top_ids[pos - 1] > p))) {
        top_vals[pos] = top_vals[pos - 1];
        top_ids[pos] = top_ids[pos - 1];
        pos--;
    }
    top_vals[pos] = s;
    top_ids[pos] = p;
}

typedef struct {
    const int64_t *ptr, *seg_ptr, *big_pos;
    const uint16_t *lo;
    const uint32_t *seg_hi, *seg_end;
    const uint16_t *cls;
    const int32_t *big_tf;
    const double *idf, *max_impact, *absent, *cls_a, *cls_b, *cls_c, *norm;
    int64_t n_terms, n_postings, n_segments, n_big, n_paragraphs, n_words, n_classes, n_norm;
    int variant;
    double k1, k1p1, delta;
} Index;

typedef struct {
    int64_t term;
    double c, idf, absent, ub;
} QTerm;

/* A rare (tf, length) pair without a class: its frequency from the escape table, its norm per paragraph. */
static __attribute__((noinline)) double escaped_gain(const Index *ix, const QTerm *q, int64_t j, int32_t p,
                                                     int variant, int *bad) {
    int64_t lo = 0, hi = ix->n_big;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (ix->big_pos[mid] < j) lo = mid + 1; else hi = mid;
    }
    if (ix->cls[j] != CLS_ESCAPE || lo == ix->n_big || ix->big_pos[lo] != j || p >= ix->n_norm) {
        *bad = 1;
        return 0.0;
    }
    double tf = (double)ix->big_tf[lo], norm = ix->norm[p];
    if (variant == 0) return q->idf * (tf * ix->k1p1 / (tf + norm));
    if (variant == 1) return q->idf * (ix->delta + tf * ix->k1p1 / (norm + tf)) - q->absent;
    double ctd = tf / norm;
    return q->idf * tf * ix->k1p1 * (ctd + ix->delta) / (ix->k1 + ctd + ix->delta) - q->absent;
}

/* The impact of posting j (paragraph p) of q: CompiledIndex.gains, operation for operation. */
static inline __attribute__((always_inline)) double gain(const Index *ix, const QTerm *q, int64_t j, int32_t p,
                                                         int variant, int *bad) {
    uint16_t c = ix->cls[j];
    if (__builtin_expect(c >= ix->n_classes, 0)) return escaped_gain(ix, q, j, p, variant, bad);
    if (variant == 0) return q->idf * ix->cls_a[c];
    if (variant == 1) return q->idf * ix->cls_a[c] - q->absent;
    return q->idf * ix->cls_a[c] * ix->k1p1 * ix->cls_b[c] / ix->cls_c[c] - q->absent;
}

/* Add every posting of q to acc (first touches appended to touched). Returns nonzero on damage. */
static inline __attribute__((always_inline)) int accumulate_as(const Index *ix, const QTerm *q, double *acc,
                                                               uint8_t *mark, int32_t *touched, int64_t *n_touched,
                                                               int variant) {
    const int64_t t = q->term, stop = ix->ptr[t + 1], n_par = ix->n_paragraphs;
    const uint16_t *lo = ix->lo;
    int64_t begin = ix->ptr[t], nt = *n_touched;
    int bad = 0;
    const double c = q->c;
    for (int64_t s = ix->seg_ptr[t]; s < ix->seg_ptr[t + 1]; s++) {
        const int64_t end = ix->ptr[t] + (int64_t)ix->seg_end[s];
        if (end < begin || end > stop) return 1;
        const int64_t hi = (int64_t)ix->seg_hi[s] << 16;
        if (hi + (int64_t)0xFFFF >= n_par) {  /* some ids of this segment may be out of range */
            for (int64_t j = begin; j < end; j++)
                if (hi + lo[j] >= n_par) return 1;
        }
        for (int64_t j = begin; j < end; j++) {
            const int32_t p = (int32_t)(hi | lo[j]);
            const double v = gain(ix, q, j, p, variant, &bad);
            touched[nt] = p;  /* branch-free first-touch: which postings are new is unpredictable */
            SEE(mark, p, nt);
            acc[p] += v * c;
        }
        begin = end;
    }
    *n_touched = nt;
    return bad || begin != stop;
}

/* accumulate_as compiled once per variant (the variant test leaves the loop). */
static __attribute__((noinline)) int accumulate(const Index *ix, const QTerm *q, double *acc, uint8_t *mark, int32_t *touched,
                      int64_t *n_touched, int variant) {
    if (variant == 0) return accumulate_as(ix, q, acc, mark, touched, n_touched, 0);
    if (variant == 1) return accumulate_as(ix, q, acc, mark, touched, n_touched, 1);
    return accumulate_as(ix, q, acc, mark, touched, n_touched, 2);
}

/* Adds postings [begin, end) of q (paragraph high bits hi) to acc; tab, when given, holds q's impact x count per
 * class. Returns nonzero on damage. */
static inline __attribute__((always_inline)) int add_run(const Index *ix, const QTerm *q, const double *tab,
                                                         int64_t begin, int64_t end, int64_t hi, double *acc,
                                                         uint8_t *mark, int32_t *touched, int64_t *n_touched,
                                                         int variant) {
    const uint16_t *lo = ix->lo, *cls = ix->cls;
    const int64_t n_par = ix->n_paragraphs, n_cls = ix->n_classes;
    int64_t nt = *n_touched;
    int bad = 0;
    const double c = q->c;
    if (hi + (int64_t)0xFFFF >= n_par) {  /* some ids of this run may be out of range */
        for (int64_t j = begin; j < end; j++)
            if (hi + lo[j] >= n_par) return 1;
    }
    for (int64_t j = begin; j < end; j++) {
        const int32_t p = (int32_t)(hi | lo[j]);
        const uint16_t k = cls[j];
        double v;
        if (tab && __builtin_expect(k < n_cls, 1)) v = tab[k];
        else v = gain(ix, q, j, p, variant, &bad) * c;
        touched[nt] = p;  /* branch-free first-touch: which postings are new is unpredictable */
        SEE(mark, p, nt);
        acc[p] += v;
    }
    *n_touched = nt;
    return bad;
}

/* Exhaustive top-k, window by window of 65,536 paragraphs: within a window each term's postings are added in
 * query order (so every sum is the exact one), then the window's paragraphs are offered to the top list and
 * their scratch cleared while still in cache. tabs: per term, its class table or NULL. */
static inline __attribute__((always_inline)) int exhaustive_as(
        const Index *ix, const QTerm *qs, Py_ssize_t k, double **tabs, Py_ssize_t cap, double base, double *acc,
        uint8_t *mark, int32_t *touched, int64_t *cursor, int32_t *top_ids, double *top_vals, Py_ssize_t *n_top,
        int variant) {
    int64_t n_windows = (ix->n_paragraphs + 0xFFFF) >> 16;
    int bad = 0;
    for (Py_ssize_t i = 0; i < k; i++) cursor[i] = ix->seg_ptr[qs[i].term];
    for (int64_t w = 0; w < n_windows && !bad; w++) {
        int64_t nt = 0;
        for (Py_ssize_t i = 0; i < k && !bad; i++) {
            int64_t t = qs[i].term, s = cursor[i];
            if (s == ix->seg_ptr[t + 1] || (int64_t)ix->seg_hi[s] != w) continue;
            int64_t begin = ix->ptr[t] + (s > ix->seg_ptr[t] ? (int64_t)ix->seg_end[s - 1] : 0);
            int64_t end = ix->ptr[t] + (int64_t)ix->seg_end[s];
            bad = add_run(ix, &qs[i], tabs[i], begin, end, w << 16, acc, mark, touched, &nt, variant);
            cursor[i] = s + 1;
        }
        for (int64_t t = 0; t < nt; t++) {
            int32_t p = touched[t];
            if (!bad && cap > 0) offer(top_ids, top_vals, n_top, cap, p, ACC(p) + base);
            ACC(p) = 0.0;
            mark[p] = 0;
        }
    }
    for (Py_ssize_t i = 0; i < k && !bad; i++)  /* every segment read: ids ascending, none past the corpus */
        bad = cursor[i] != ix->seg_ptr[qs[i].term + 1];
    return bad;
}

static __attribute__((noinline)) int exhaustive(const Index *ix, const QTerm *qs, Py_ssize_t k, double **tabs, Py_ssize_t cap, double base,
                      double *acc, uint8_t *mark, int32_t *touched, int64_t *cursor, int32_t *top_ids,
                      double *top_vals, Py_ssize_t *n_top, int variant) {
    if (variant == 0)
        return exhaustive_as(ix, qs, k, tabs, cap, base, acc, mark, touched, cursor, top_ids, top_vals, n_top, 0);
    if (variant == 1)
        return exhaustive_as(ix, qs, k, tabs, cap, base, acc, mark, touched, cursor, top_ids, top_vals, n_top, 1);
    return exhaustive_as(ix, qs, k, tabs, cap, base, acc, mark, touched, cursor, top_ids, top_vals, n_top, 2);
}

/* Per term, its impact x count for each class when its postings outnumber the classes (else NULL). */
static void class_tables(const Index *ix, const QTerm *qs, Py_ssize_t k, double **tabs, double *space) {
    for (Py_ssize_t i = 0; i < k; i++) {
        const QTerm *q = &qs[i];
        int64_t size = ix->ptr[q->term + 1] - ix->ptr[q->term];
        tabs[i] = NULL;
        if (size < 2 * ix->n_classes) continue;
        double *tab = space + i * ix->n_classes;
        for (int64_t c = 0; c < ix->n_classes; c++) {
            double v;
            if (ix->variant == 0) v = q->idf * ix->cls_a[c];
            else if (ix->variant == 1) v = q->idf * ix->cls_a[c] - q->absent;
            else v = q->idf * ix->cls_a[c] * ix->k1p1 * ix->cls_b[c] / ix->cls_c[c] - q->absent;
            tab[c] = v * q->c;
        }
        tabs[i] = tab;
    }
}

/* Position of paragraph p in q's postings, or -1; searches from segment *seg / position *pos onwards
 * (callers asking for ascending p may keep the cursor), galloping. */
static int64_t find(const Index *ix, int64_t t, int32_t p, int64_t *seg, int64_t *pos) {
    int64_t s = *seg, s_end = ix->seg_ptr[t + 1], hi = (int64_t)p >> 16;
    uint16_t low = (uint16_t)(p & 0xFFFF);
    while (s < s_end && (int64_t)ix->seg_hi[s] < hi) s++;
    if (s != *seg) *pos = s > ix->seg_ptr[t] ? ix->ptr[t] + (int64_t)ix->seg_end[s - 1] : ix->ptr[t];
    *seg = s;
    if (s == s_end || (int64_t)ix->seg_hi[s] != hi) return -1;
    int64_t end = ix->ptr[t] + (int64_t)ix->seg_end[s], j = *pos;
    if (j >= end || ix->lo[j] >= low) {
        if (j < end && ix->lo[j] == low) return j;
        return -1;
    }
    int64_t step = 1, lo = j;  /* lo[lo] < low */
    while (lo + step < end && ix->lo[lo + step] < low) { lo += step; step <<= 1; }
    int64_t hi_i = lo + step < end ? lo + step : end;  /* answer in (lo, hi_i] */
    lo += 1;
    while (lo < hi_i) {
        int64_t mid = lo + (hi_i - lo) / 2;
        if (ix->lo[mid] < low) lo = mid + 1; else hi_i = mid;
    }
    *pos = lo;
    return lo < end && ix->lo[lo] == low ? lo : -1;
}

static int64_t find_fresh(const Index *ix, int64_t t, int32_t p) {
    int64_t seg = ix->seg_ptr[t], pos = ix->ptr[t];
    return find(ix, t, p, &seg, &pos);
}

/* The k-th largest of acc over ids (k >= 1, n >= k), with a min-heap of k values. */
static double kth_largest(const double *acc, const int32_t *ids, int64_t n, Py_ssize_t k, double *heap) {
    Py_ssize_t size = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = ACC(ids[i]);
        if (size < k) {
            Py_ssize_t c = size++;
            while (c > 0 && heap[(c - 1) / 2] > v) { heap[c] = heap[(c - 1) / 2]; c = (c - 1) / 2; }
            heap[c] = v;
        } else if (v > heap[0]) {
            Py_ssize_t c = 0;
            for (;;) {
                Py_ssize_t l = 2 * c + 1, r = l + 1, m = c;
                double mv = v;
                if (l < k && heap[l] < mv) { m = l; mv = heap[l]; }
                if (r < k && heap[r] < mv) { m = r; mv = heap[r]; }
                if (m == c) break;
                heap[c] = heap[m];
                c = m;
            }
            heap[c] = v;
        }
    }
    return heap[0];
}

static int cmp_int32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}


static int by_bound(const void *a, const void *b) {
    const QTerm *x = a, *y = b;
    if (x->ub != y->ub) return x->ub < y->ub ? 1 : -1;
    return (x->term > y->term) - (x->term < y->term);
}

/* Pruned top-k (see the header). Returns nonzero on damage. Leaves acc/mark to the caller's cleanup. */
static __attribute__((noinline)) int pruned(const Index *ix, const QTerm *qs, Py_ssize_t k, QTerm *order, Py_ssize_t limit, double base,
                  double *acc, uint8_t *mark, int32_t *touched, int64_t *n_touched, int32_t *cands, double *heap,
                  int32_t *top_ids, double *top_vals, Py_ssize_t *n_top, int variant) {
    double total = 0.0;
    for (Py_ssize_t i = 0; i < k; i++) { order[i] = qs[i]; total += qs[i].ub; }
    qsort(order, (size_t)k, sizeof(QTerm), by_bound);
    /* Summation in another order than the query's differs by a few ulps of the total at most. */
    double margin = 1e-9 * total + 1e-300;
    double rest = total;
    Py_ssize_t i = 0;
    int64_t n_cands = -1;  /* -1: no pruning happened, the finalists come from touched */
    for (; i < k; i++) {
        rest -= order[i].ub;
        if (accumulate(ix, &order[i], acc, mark, touched, n_touched, variant)) return 1;
        if (i + 1 < k && *n_touched >= limit) {
            double theta = kth_largest(acc, touched, *n_touched, limit, heap);
            if (rest + 2 * margin < theta) {  /* an unseen paragraph cannot reach the top limit */
                n_cands = 0;
                for (int64_t t = 0; t < *n_touched; t++) {
                    int32_t p = touched[t];
                    if (ACC(p) + rest + 2 * margin >= theta) cands[n_cands++] = p;
                }
                i++;
                stat_skipped++;
                break;
            }
        }
    }
    if (n_cands >= 0) {
        /* The remaining terms only add to the candidates (marked 2): a merge of the term's postings with the
         * sorted candidates when they are few, else one pass over the postings testing the marks. After each
         * term, candidates that can no longer reach the k-th best score are dropped. */
        uint64_t *cand = (uint64_t *)(mark + ((ix->n_paragraphs + 7) & ~(int64_t)7));
        for (int64_t c = 0; c < n_cands; c++) cand[cands[c] >> 6] |= (uint64_t)1 << (cands[c] & 63);
        int sorted = 0, bad = 0;
        for (; i < k; i++) {
            const QTerm *q = &order[i];
            int64_t t = q->term, size = ix->ptr[t + 1] - ix->ptr[t];
            rest -= q->ub;
            if (n_cands * 16 < size) {
                if (!sorted) { qsort(cands, (size_t)n_cands, sizeof(int32_t), cmp_int32); sorted = 1; }
                int64_t seg = ix->seg_ptr[t], pos = ix->ptr[t];
                for (int64_t c = 0; c < n_cands; c++) {
                    int32_t p = cands[c];
                    int64_t j = find(ix, t, p, &seg, &pos);
                    if (j >= 0) ACC(p) += gain(ix, q, j, p, variant, &bad) * q->c;
                }
            } else {
                int64_t begin = ix->ptr[t];
                for (int64_t s = ix->seg_ptr[t]; s < ix->seg_ptr[t + 1]; s++) {
                    int64_t end = ix->ptr[t] + (int64_t)ix->seg_end[s], hi = (int64_t)ix->seg_hi[s] << 16;
                    for (int64_t j = begin; j < end; j++) {
                        int64_t p = hi | ix->lo[j];
                        if (p < ix->n_paragraphs && ((cand[p >> 6] >> (p & 63)) & 1)) ACC(p) += gain(ix, q, j, (int32_t)p, variant, &bad) * q->c;
                    }
                    begin = end;
                }
            }
            if (bad) return 1;
            if (i + 1 < k && n_cands > limit) {
                double theta = kth_largest(acc, cands, n_cands, limit, heap);
                int64_t kept = 0;
                for (int64_t c = 0; c < n_cands; c++) {
                    int32_t p = cands[c];
                    if (ACC(p) + rest + 2 * margin >= theta) cands[kept++] = p; else cand[p >> 6] &= ~((uint64_t)1 << (p & 63));
                }
                n_cands = kept;  /* order kept: still sorted if it was */
            }
        }
    }
    /* Finalists: what is within the margin of the k-th best approximate score. Their exact scores are summed
     * in query order, term after term over the finalists sorted by id (unless the terms were read in query
     * order anyway, which made every sum exact already). */
    int32_t *fin = cands;
    int64_t n_fin = 0, n_pool = n_cands >= 0 ? n_cands : *n_touched;
    const int32_t *pool = n_cands >= 0 ? cands : touched;
    double floor = n_pool > limit ? kth_largest(acc, pool, n_pool, limit, heap) - 2 * margin : -INFINITY;
    for (int64_t t = 0; t < n_pool; t++)
        if (ACC(pool[t]) >= floor) fin[n_fin++] = pool[t];  /* in place when pool is cands: t >= n_fin */
    int in_order = 1;
    for (Py_ssize_t j = 0; j < k; j++) in_order &= order[j].term == qs[j].term;
    if (in_order) {
        for (int64_t f = 0; f < n_fin; f++) offer(top_ids, top_vals, n_top, limit, fin[f], ACC(fin[f]) + base);
        return 0;
    }
    double *exact = PyMem_RawMalloc(sizeof(double) * (n_fin ? n_fin : 1));
    if (!exact) return -1;
    qsort(fin, (size_t)n_fin, sizeof(int32_t), cmp_int32);
    int bad = 0;
    for (int64_t f = 0; f < n_fin; f++) exact[f] = 0.0;
    for (Py_ssize_t j = 0; j < k; j++) {
        int64_t t = qs[j].term, seg = ix->seg_ptr[t], pos = ix->ptr[t];
        for (int64_t f = 0; f < n_fin; f++) {
            int64_t at = find(ix, t, fin[f], &seg, &pos);
            if (at >= 0) exact[f] += gain(ix, &qs[j], at, fin[f], variant, &bad) * qs[j].c;
        }
    }
    for (int64_t f = 0; f < n_fin; f++) offer(top_ids, top_vals, n_top, limit, fin[f], exact[f] + base);
    PyMem_RawFree(exact);
    return bad;
}

/* An index's arrays, held (and their buffers exported) for as long as the capsule lives. */
typedef struct {
    Py_buffer views[N_ARRAYS];
    Index ix;
} Prepared;

#define CAPSULE_NAME "retrieval._kernel.index"

static void prepared_free(PyObject *capsule) {
    Prepared *pr = PyCapsule_GetPointer(capsule, CAPSULE_NAME);
    if (!pr) return;
    for (int i = 0; i < N_ARRAYS; i++) PyBuffer_Release(&pr->views[i]);
    PyMem_Free(pr);
}

/* prepare(index) -> capsule: checks the arrays' types and shapes once, so that top() need not. */
static PyObject *kernel_prepare(PyObject *self, PyObject *index) {
    static const char kinds[N_ARRAYS] = {'i', 'u', 'i', 'u', 'u', 'u', 'i', 'i', 'd', 'd', 'd', 'd', 'd', 'd', 'd'};
    static const Py_ssize_t sizes[N_ARRAYS] = {8, 2, 8, 4, 4, 2, 8, 4, 8, 8, 8, 8, 8, 8, 8};
    static const char *names[N_ARRAYS] = {"ptr", "post_lo", "seg_ptr", "seg_hi", "seg_end", "post_cls",
                                          "tf_big_pos", "tf_big", "idf", "max_impact", "absent", "cls_a",
                                          "cls_b", "cls_c", "norm"};
    if (!PyTuple_Check(index) || PyTuple_GET_SIZE(index) != N_ARRAYS + 4) {
        PyErr_SetString(PyExc_TypeError, "index must be a tuple of 15 arrays and 4 parameters");
        return NULL;
    }
    Prepared *pr = PyMem_Calloc(1, sizeof(Prepared));
    if (!pr) return PyErr_NoMemory();
    int have = 0;
    for (; have < N_ARRAYS; have++)
        if (get_array(PyTuple_GET_ITEM(index, have), &pr->views[have], kinds[have], sizes[have], 0, names[have]) < 0)
            goto fail;
    Py_buffer *views = pr->views;
    Index *ix = &pr->ix;
    ix->variant = (int)PyLong_AsLong(PyTuple_GET_ITEM(index, N_ARRAYS));
    ix->k1 = PyFloat_AsDouble(PyTuple_GET_ITEM(index, N_ARRAYS + 1));
    ix->delta = PyFloat_AsDouble(PyTuple_GET_ITEM(index, N_ARRAYS + 2));
    ix->n_paragraphs = PyLong_AsLongLong(PyTuple_GET_ITEM(index, N_ARRAYS + 3));
    if (PyErr_Occurred()) goto fail;
    ix->k1p1 = ix->k1 + 1;
    ix->ptr = views[0].buf; ix->lo = views[1].buf; ix->seg_ptr = views[2].buf; ix->seg_hi = views[3].buf;
    ix->seg_end = views[4].buf; ix->cls = views[5].buf; ix->big_pos = views[6].buf; ix->big_tf = views[7].buf;
    ix->idf = views[8].buf; ix->max_impact = views[9].buf; ix->absent = views[10].buf;
    ix->cls_a = views[11].buf; ix->cls_b = views[12].buf; ix->cls_c = views[13].buf; ix->norm = views[14].buf;
    ix->n_classes = (int64_t)views[11].shape[0];
    ix->n_norm = (int64_t)views[14].shape[0];
    ix->n_terms = (int64_t)views[0].shape[0] - 1;
    ix->n_postings = (int64_t)views[1].shape[0];
    ix->n_segments = (int64_t)views[3].shape[0];
    ix->n_big = (int64_t)views[6].shape[0];
    ix->n_words = (ix->n_paragraphs + 63) / 64;
    if (ix->n_terms < 0 || ix->n_paragraphs < 0 || views[2].shape[0] != ix->n_terms + 1 ||
        views[4].shape[0] != ix->n_segments || views[5].shape[0] != ix->n_postings || views[7].shape[0] != ix->n_big ||
        views[8].shape[0] != ix->n_terms || views[9].shape[0] != ix->n_terms || views[10].shape[0] != ix->n_terms ||
        ix->n_classes >= CLS_ESCAPE || (ix->n_norm && ix->n_norm != ix->n_paragraphs) ||
        (ix->variant == 2 && (views[12].shape[0] != ix->n_classes || views[13].shape[0] != ix->n_classes)) ||
        ix->variant < 0 || ix->variant > 2) {
        PyErr_SetString(PyExc_ValueError, "index arrays are inconsistent");
        goto fail;
    }
    PyObject *capsule = PyCapsule_New(pr, CAPSULE_NAME, prepared_free);
    if (capsule) return capsule;
fail:
    for (int i = 0; i < have; i++) PyBuffer_Release(&pr->views[i]);
    PyMem_Free(pr);
    return NULL;
}

static PyObject *kernel_top(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 8) {
        PyErr_SetString(PyExc_TypeError, "top() takes 8 arguments");
        return NULL;
    }
    Py_buffer acc_v, mark_v;
    int have_acc = 0, have_mark = 0;
    PyObject *result = NULL, *ids_list = NULL, *scores_list = NULL, *best_list = NULL;
    QTerm *qs = NULL, *order = NULL;
    int32_t *touched = NULL, *top_ids = NULL, *cands = NULL;
    double *top_vals = NULL, *heap = NULL, *tab_space = NULL, **tabs = NULL;
    int64_t *cursor = NULL;

    Prepared *pr = PyCapsule_GetPointer(args[0], CAPSULE_NAME);
    if (!pr) goto done;
    const Index ix = pr->ix;
    if (get_array(args[5], &acc_v, 'd', 8, 1, "acc") < 0) goto done;
    have_acc = 1;
    if (get_array(args[6], &mark_v, 'B', 1, 1, "mark") < 0) goto done;
    have_mark = 1;
    if (acc_v.shape[0] != ix.n_paragraphs || mark_v.shape[0] < ((ix.n_paragraphs + 7) & ~(int64_t)7) + 8 * ix.n_words) {
        PyErr_SetString(PyExc_ValueError, "index arrays are inconsistent");
        goto done;
    }

    PyObject *terms_obj = args[1], *counts_obj = args[2];
    if (!PyList_Check(terms_obj) || !PyList_Check(counts_obj) ||
        PyList_GET_SIZE(terms_obj) != PyList_GET_SIZE(counts_obj)) {
        PyErr_SetString(PyExc_TypeError, "terms and counts must be lists of the same length");
        goto done;
    }
    Py_ssize_t limit = PyLong_AsSsize_t(args[3]);
    if (limit == -1 && PyErr_Occurred()) goto done;
    double base = PyFloat_AsDouble(args[4]);
    if (base == -1.0 && PyErr_Occurred()) goto done;
    int prune = PyObject_IsTrue(args[7]);
    if (prune < 0) goto done;

    double *acc = acc_v.buf;
    uint8_t *mark = mark_v.buf;
    uint64_t *cand_bits = (uint64_t *)(mark + ((ix.n_paragraphs + 7) & ~(int64_t)7));
    Py_ssize_t k = PyList_GET_SIZE(terms_obj);
    qs = PyMem_Malloc(sizeof(QTerm) * (k ? k : 1));
    order = PyMem_Malloc(sizeof(QTerm) * (k ? k : 1));
    if (!qs || !order) { PyErr_NoMemory(); goto done; }
    int64_t total = 0;
    int nonnegative = 1;
    for (Py_ssize_t i = 0; i < k; i++) {
        QTerm *q = &qs[i];
        q->term = PyLong_AsLongLong(PyList_GET_ITEM(terms_obj, i));
        if (q->term == -1 && PyErr_Occurred()) goto done;
        q->c = PyFloat_AsDouble(PyList_GET_ITEM(counts_obj, i));
        if (q->c == -1.0 && PyErr_Occurred()) goto done;
        if (q->term < 0 || q->term >= ix.n_terms) {
            PyErr_SetString(PyExc_ValueError, "query term id out of range");
            goto done;
        }
        int64_t start = ix.ptr[q->term], end = ix.ptr[q->term + 1];
        int64_t s0 = ix.seg_ptr[q->term], s1 = ix.seg_ptr[q->term + 1];
        if (start < 0 || end < start || end > ix.n_postings || s0 < 0 || s1 < s0 || s1 > ix.n_segments ||
            (end > start && s1 == s0)) {
            PyErr_SetString(PyExc_ValueError, "index arrays are inconsistent");
            goto done;
        }
        for (int64_t s = s0; s < s1; s++)  /* segment ends ascending within the term's postings */
            if ((int64_t)ix.seg_end[s] > end - start || (s > s0 && ix.seg_end[s] <= ix.seg_end[s - 1])) {
                PyErr_SetString(PyExc_ValueError, "index arrays are inconsistent");
                goto done;
            }
        q->idf = ix.idf[q->term];
        q->absent = ix.absent[q->term];
        q->ub = ix.max_impact[q->term] * q->c;
        if (!(q->idf >= 0.0 && q->c > 0.0 && q->ub >= 0.0 && isfinite(q->ub))) nonnegative = 0;
        total += end - start;
    }
    if (limit < 0) limit = 0;
    touched = PyMem_Malloc(sizeof(int32_t) * (total ? total : 1));
    cands = PyMem_Malloc(sizeof(int32_t) * (total ? total : 1));
    Py_ssize_t cap = limit < total ? limit : (Py_ssize_t)total;
    top_ids = PyMem_Malloc(sizeof(int32_t) * (cap ? cap : 1));
    top_vals = PyMem_Malloc(sizeof(double) * (cap ? cap : 1));
    heap = PyMem_Malloc(sizeof(double) * (cap ? cap : 1));
    tabs = PyMem_Malloc(sizeof(double *) * (k ? k : 1));
    cursor = PyMem_Malloc(sizeof(int64_t) * (k ? k : 1));
    tab_space = PyMem_Malloc(sizeof(double) * (k > 0 && ix.n_classes > 0 ? k * ix.n_classes : 1));
    if (!touched || !cands || !top_ids || !top_vals || !heap || !tabs || !cursor || !tab_space) {
        PyErr_NoMemory();
        goto done;
    }

    int bad = 0;
    int64_t n_touched = 0;
    Py_ssize_t n_top = 0;
    Py_BEGIN_ALLOW_THREADS
    int variant = ix.variant;
    if (prune && nonnegative && k > 1 && cap > 0) {
        stat_pruned++;
        bad = pruned(&ix, qs, k, order, cap, base, acc, mark, touched, &n_touched, cands, heap, top_ids, top_vals,
                     &n_top, variant);
    } else {
        class_tables(&ix, qs, k, tabs, tab_space);
        bad = exhaustive(&ix, qs, k, tabs, cap, base, acc, mark, touched, cursor, top_ids, top_vals, &n_top, variant);
    }
    for (int64_t t = 0; t < n_touched; t++) {  /* leave the scratch clean for the next question */
        ACC(touched[t]) = 0.0;
        mark[touched[t]] = 0;
        cand_bits[touched[t] >> 6] = 0;
    }
    if (bad) n_top = 0;
    Py_END_ALLOW_THREADS
    if (bad < 0) {
        PyErr_NoMemory();
        goto done;
    }
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "index arrays are inconsistent");
        goto done;
    }

    ids_list = PyList_New(n_top);
    scores_list = PyList_New(n_top);
    best_list = PyList_New(0);
    if (!ids_list || !scores_list || !best_list) goto done;
    for (Py_ssize_t i = 0; i < n_top; i++) {
        PyObject *id = PyLong_FromLong(top_ids[i]), *score = PyFloat_FromDouble(top_vals[i]);
        if (!id || !score) { Py_XDECREF(id); Py_XDECREF(score); goto done; }
        PyList_SET_ITEM(ids_list, i, id);
        PyList_SET_ITEM(scores_list, i, score);
    }
    if (n_top > 0) {
        for (Py_ssize_t i = 0; i < k; i++) {
            if (find_fresh(&ix, qs[i].term, top_ids[0]) >= 0) {
                PyObject *term = PyLong_FromLongLong(qs[i].term);
                if (!term || PyList_Append(best_list, term) < 0) { Py_XDECREF(term); goto done; }
                Py_DECREF(term);
            }
        }
    }
    result = PyTuple_Pack(3, ids_list, scores_list, best_list);

done:
    Py_XDECREF(ids_list);
    Py_XDECREF(scores_list);
    Py_XDECREF(best_list);
    PyMem_Free(qs);
    PyMem_Free(order);
    PyMem_Free(touched);
    PyMem_Free(cands);
    PyMem_Free(top_ids);
    PyMem_Free(top_vals);
    PyMem_Free(heap);
    PyMem_Free(tabs);
    PyMem_Free(cursor);
    PyMem_Free(tab_space);
    if (have_mark) PyBuffer_Release(&mark_v);
    if (have_acc) PyBuffer_Release(&acc_v);
    return result;
}

static PyObject *kernel_stats(PyObject *self, PyObject *unused) {
    return Py_BuildValue("{s:L,s:L}", "pruned", stat_pruned, "skipped", stat_skipped);
}

static PyMethodDef methods[] = {
    {"prepare", kernel_prepare, METH_O,
     "prepare(index) -> capsule holding the index's arrays (15 arrays, variant, k1, delta, paragraphs)"},
    {"stats", kernel_stats, METH_NOARGS,
     "stats() -> {'pruned': questions ranked by the pruned path, 'skipped': of those, how many skipped postings}"},
    {"top", (PyCFunction)(void (*)(void))kernel_top, METH_FASTCALL,
     "top(prepared, terms, counts, limit, base, acc, mark, prune) -> (ids, scores, best_terms)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel", "Compiled BM25 top-k.", -1, methods};

PyMODINIT_FUNC PyInit__kernel(void) { return PyModule_Create(&module); }
