// Package images builds the OCI images of the programs the mesh deploys, without Docker and
// without a registry: a static Go binary, a tiny base layer (passwd, group, /tmp), an entrypoint,
// a non-root user where the program allows one, and org.opencontainers.image.* labels. The
// result is written as an OCI image layout in a tar file, which containerd imports with
// `ctr images import`; the local test cluster's real node runs them from there.
//
// Images are reproducible: the same binary and the same BuildInfo give the same digest. Every file
// has a fixed owner and time, entries are sorted, layers are stored uncompressed, and the image's
// creation time is the commit's, not the build's.
//
// Every program that gets an image is one line of Programs.
package images
