//! OCI / Docker profile resolution.
