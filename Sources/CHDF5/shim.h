// CHDF5: the only place that includes the HDF5 C headers (libhdf5 1.10.8, Debian serial build).
//
// Many HDF5 "constants" are macros that expand to `H5open()` followed by a global id, or
// casts Swift cannot import (H5P_DEFAULT imports as Int32 while hid_t is Int64). Each one is
// wrapped here in a `static inline` getter returning the right C type. Only HDF5Kit imports
// this module; nothing here is public Swift API of Transfuse.
#ifndef TRANSFUSE_CHDF5_SHIM_H
#define TRANSFUSE_CHDF5_SHIM_H

#include <hdf5.h>

// MARK: - Generic ids

static inline hid_t chdf5_P_DEFAULT(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_S_ALL(void) { return H5S_ALL; }
static inline hid_t chdf5_E_DEFAULT(void) { return H5E_DEFAULT; }
static inline size_t chdf5_T_VARIABLE(void) { return H5T_VARIABLE; }
static inline haddr_t chdf5_HADDR_UNDEF(void) { return HADDR_UNDEF; }

// MARK: - File access flags

static inline unsigned chdf5_F_ACC_RDONLY(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_F_ACC_RDWR(void) { return H5F_ACC_RDWR; }
static inline unsigned chdf5_F_ACC_TRUNC(void) { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_F_ACC_EXCL(void) { return H5F_ACC_EXCL; }

// MARK: - Property list classes

static inline hid_t chdf5_P_FILE_CREATE(void) { return H5P_FILE_CREATE; }
static inline hid_t chdf5_P_FILE_ACCESS(void) { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_P_GROUP_CREATE(void) { return H5P_GROUP_CREATE; }
static inline hid_t chdf5_P_DATASET_CREATE(void) { return H5P_DATASET_CREATE; }
static inline hid_t chdf5_P_DATASET_XFER(void) { return H5P_DATASET_XFER; }
static inline hid_t chdf5_P_LINK_CREATE(void) { return H5P_LINK_CREATE; }
static inline hid_t chdf5_P_ATTRIBUTE_CREATE(void) { return H5P_ATTRIBUTE_CREATE; }

static inline unsigned chdf5_P_CRT_ORDER_TRACKED(void) { return H5P_CRT_ORDER_TRACKED; }
static inline unsigned chdf5_P_CRT_ORDER_INDEXED(void) { return H5P_CRT_ORDER_INDEXED; }

// MARK: - Predefined datatypes (file types: fixed byte order)

static inline hid_t chdf5_T_IEEE_F32LE(void) { return H5T_IEEE_F32LE; }
static inline hid_t chdf5_T_IEEE_F64LE(void) { return H5T_IEEE_F64LE; }
static inline hid_t chdf5_T_STD_I8LE(void) { return H5T_STD_I8LE; }
static inline hid_t chdf5_T_STD_I16LE(void) { return H5T_STD_I16LE; }
static inline hid_t chdf5_T_STD_I32LE(void) { return H5T_STD_I32LE; }
static inline hid_t chdf5_T_STD_I64LE(void) { return H5T_STD_I64LE; }
static inline hid_t chdf5_T_STD_U8LE(void) { return H5T_STD_U8LE; }
static inline hid_t chdf5_T_STD_U16LE(void) { return H5T_STD_U16LE; }
static inline hid_t chdf5_T_STD_U32LE(void) { return H5T_STD_U32LE; }
static inline hid_t chdf5_T_STD_U64LE(void) { return H5T_STD_U64LE; }
static inline hid_t chdf5_T_C_S1(void) { return H5T_C_S1; }

// MARK: - Predefined datatypes (native memory types)

static inline hid_t chdf5_T_NATIVE_DOUBLE(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_T_NATIVE_FLOAT(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_T_NATIVE_INT8(void) { return H5T_NATIVE_INT8; }
static inline hid_t chdf5_T_NATIVE_INT16(void) { return H5T_NATIVE_INT16; }
static inline hid_t chdf5_T_NATIVE_INT32(void) { return H5T_NATIVE_INT32; }
static inline hid_t chdf5_T_NATIVE_INT64(void) { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_T_NATIVE_UINT8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t chdf5_T_NATIVE_UINT16(void) { return H5T_NATIVE_UINT16; }
static inline hid_t chdf5_T_NATIVE_UINT32(void) { return H5T_NATIVE_UINT32; }
static inline hid_t chdf5_T_NATIVE_UINT64(void) { return H5T_NATIVE_UINT64; }

// MARK: - Error stack

/// Turns off HDF5's automatic printing of the error stack on the calling thread (the Debian
/// build is thread-safe, so the setting is per thread). Errors are read with H5Ewalk2 instead.
static inline void chdf5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

#endif
