// The only place Transfuse includes OpenBLAS's headers (Debian's libopenblas-dev).
#ifndef TRANSFUSE_CBLAS_SHIM_H
#define TRANSFUSE_CBLAS_SHIM_H
#include <cblas.h>
#endif
