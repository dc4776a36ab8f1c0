/* Exact BM25 top-k over precomputed impacts: the compiled twin of CompiledIndex._top_numpy.
 *
 * top(ptr, post_para, impact, terms, counts, limit, base, acc, mark)
 *   ptr        int64[V+1]   postings of term t are post_para[ptr[t]:ptr[t+1]] (paragraph ids ascending)
 *   post_para  int32[P]     paragraph of each posting
 *   impact     float64[P]   score contribution of each posting
 *   terms      list[int]    distinct query term ids, in query order
 *   counts     list[float]  how often each term occurs in the query
 *   limit      int          how many paragraphs to return
 *   base       float        score of a paragraph containing none of the terms (BM25+ only, else 0)
 *   acc        float64[N]   scratch, all zeros; left all zeros (one per thread)
 *   mark       uint8[N]     scratch, all zeros; left all zeros (one per thread)
 * returns (ids, scores, best_terms): the best `limit` paragraphs (score descending, then id),
 * and the term ids the best one contains.
 *
 * Sums run term after term in query order, as numpy's add.at and rank-bm25 do, so the scores
 * are the same floats as the numpy path. Every index read is bounds-checked: a damaged index
 * raises ValueError instead of reading out of bounds. The GIL is released while scoring.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

static int kind_ok(const Py_buffer *view, char kind, Py_ssize_t itemsize) {
    const char *f = view->format ? view->format : "B";
    if (*f == '@' || *f == '=' || *f == '<') f++;
    if (view->itemsize != itemsize || view->ndim != 1) return 0;
    if (kind == 'i') return *f == 'i' || *f == 'l' || *f == 'q';  /* signed integer of that size */
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

/* Whether paragraph pid is in the sorted postings paras[0:n]. */
static int contains(const int32_t *paras, int64_t n, int32_t pid) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (paras[mid] < pid) lo = mid + 1; else hi = mid;
    }
    return lo < n && paras[lo] == pid;
}

static PyObject *kernel_top(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 9) {
        PyErr_SetString(PyExc_TypeError, "top() takes 9 arguments");
        return NULL;
    }
    Py_buffer ptr_v, para_v, impact_v, acc_v, mark_v;
    int have = 0;  /* how many buffers to release */
    PyObject *result = NULL, *ids_list = NULL, *scores_list = NULL, *best_list = NULL;
    int64_t *terms = NULL;
    double *counts = NULL;
    int32_t *touched = NULL, *top_ids = NULL;
    double *top_vals = NULL;

    if (get_array(args[0], &ptr_v, 'i', 8, 0, "ptr") < 0) goto done;
    have = 1;
    if (get_array(args[1], &para_v, 'i', 4, 0, "post_para") < 0) goto done;
    have = 2;
    if (get_array(args[2], &impact_v, 'd', 8, 0, "impact") < 0) goto done;
    have = 3;
    if (get_array(args[7], &acc_v, 'd', 8, 1, "acc") < 0) goto done;
    have = 4;
    if (get_array(args[8], &mark_v, 'B', 1, 1, "mark") < 0) goto done;
    have = 5;

    PyObject *terms_obj = args[3], *counts_obj = args[4];
    if (!PyList_Check(terms_obj) || !PyList_Check(counts_obj) ||
        PyList_GET_SIZE(terms_obj) != PyList_GET_SIZE(counts_obj)) {
        PyErr_SetString(PyExc_TypeError, "terms and counts must be lists of the same length");
        goto done;
    }
    Py_ssize_t limit = PyLong_AsSsize_t(args[5]);
    if (limit == -1 && PyErr_Occurred()) goto done;
    double base = PyFloat_AsDouble(args[6]);
    if (base == -1.0 && PyErr_Occurred()) goto done;

    const int64_t *ptr = ptr_v.buf;
    const int32_t *post_para = para_v.buf;
    const double *impact = impact_v.buf;
    double *acc = acc_v.buf;
    uint8_t *mark = mark_v.buf;
    int64_t n_terms = (int64_t)ptr_v.shape[0] - 1;
    int64_t n_postings = (int64_t)para_v.shape[0];
    int64_t n_paragraphs = (int64_t)acc_v.shape[0];
    if (n_terms < 0 || impact_v.shape[0] != n_postings || mark_v.shape[0] != n_paragraphs) {
        PyErr_SetString(PyExc_ValueError, "index arrays are inconsistent");
        goto done;
    }

    Py_ssize_t k = PyList_GET_SIZE(terms_obj);
    terms = PyMem_Malloc(sizeof(int64_t) * (k ? k : 1));
    counts = PyMem_Malloc(sizeof(double) * (k ? k : 1));
    if (!terms || !counts) { PyErr_NoMemory(); goto done; }
    int64_t total = 0;
    for (Py_ssize_t i = 0; i < k; i++) {
        terms[i] = PyLong_AsLongLong(PyList_GET_ITEM(terms_obj, i));
        if (terms[i] == -1 && PyErr_Occurred()) goto done;
        counts[i] = PyFloat_AsDouble(PyList_GET_ITEM(counts_obj, i));
        if (counts[i] == -1.0 && PyErr_Occurred()) goto done;
        if (terms[i] < 0 || terms[i] >= n_terms) {
            PyErr_SetString(PyExc_ValueError, "query term id out of range");
            goto done;
        }
        int64_t start = ptr[terms[i]], end = ptr[terms[i] + 1];
        if (start < 0 || end < start || end > n_postings) {
            PyErr_SetString(PyExc_ValueError, "index arrays are inconsistent");
            goto done;
        }
        total += end - start;
    }
    if (limit < 0) limit = 0;
    touched = PyMem_Malloc(sizeof(int32_t) * (total ? total : 1));
    Py_ssize_t cap = limit < total ? limit : (Py_ssize_t)total;
    top_ids = PyMem_Malloc(sizeof(int32_t) * (cap ? cap : 1));
    top_vals = PyMem_Malloc(sizeof(double) * (cap ? cap : 1));
    if (!touched || !top_ids || !top_vals) { PyErr_NoMemory(); goto done; }

    int bad = 0;
    int64_t n_touched = 0;
    Py_ssize_t n_top = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < k && !bad; i++) {
        double c = counts[i];
        for (int64_t j = ptr[terms[i]], end = ptr[terms[i] + 1]; j < end; j++) {
            int32_t p = post_para[j];
            if (p < 0 || p >= n_paragraphs) { bad = 1; break; }
            touched[n_touched] = p;  /* branch-free first-touch: which postings are new is unpredictable */
            n_touched += !mark[p];
            mark[p] = 1;
            acc[p] += impact[j] * c;
        }
    }
    for (int64_t t = 0; t < n_touched; t++) {
        int32_t p = touched[t];
        double s = acc[p] + base;
        acc[p] = 0.0;  /* leave the scratch clean for the next question */
        mark[p] = 0;
        if (bad || cap == 0) continue;
        Py_ssize_t pos;
        if (n_top == cap) {
            double ws = top_vals[n_top - 1];
            if (s < ws || (s == ws && p > top_ids[n_top - 1])) continue;
            pos = n_top - 1;
        } else {
            pos = n_top++;
        }
        while (pos > 0 && (top_vals[pos - 1] < s || (top_vals[pos - 1] == s && top_ids[pos - 1] > p))) {
            top_vals[pos] = top_vals[pos - 1];
            top_ids[pos] = top_ids[pos - 1];
            pos--;
        }
        top_vals[pos] = s;
        top_ids[pos] = p;
    }
    Py_END_ALLOW_THREADS
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
            int64_t start = ptr[terms[i]], end = ptr[terms[i] + 1];
            if (contains(post_para + start, end - start, top_ids[0])) {
                PyObject *term = PyLong_FromLongLong(terms[i]);
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
    PyMem_Free(terms);
    PyMem_Free(counts);
    PyMem_Free(touched);
    PyMem_Free(top_ids);
    PyMem_Free(top_vals);
    if (have >= 5) PyBuffer_Release(&mark_v);
    if (have >= 4) PyBuffer_Release(&acc_v);
    if (have >= 3) PyBuffer_Release(&impact_v);
    if (have >= 2) PyBuffer_Release(&para_v);
    if (have >= 1) PyBuffer_Release(&ptr_v);
    return result;
}

static PyMethodDef methods[] = {
    {"top", (PyCFunction)(void (*)(void))kernel_top, METH_FASTCALL,
     "top(ptr, post_para, impact, terms, counts, limit, base, acc, mark) -> (ids, scores, best_terms)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel", "Compiled BM25 top-k.", -1, methods};

PyMODINIT_FUNC PyInit__kernel(void) { return PyModule_Create(&module); }
