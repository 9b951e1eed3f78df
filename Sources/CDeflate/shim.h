// The only place Transfuse includes zlib's header (Debian's zlib1g-dev), for PNG heatmaps.
#ifndef TRANSFUSE_CDEFLATE_SHIM_H
#define TRANSFUSE_CDEFLATE_SHIM_H
#include <zlib.h>
#endif
