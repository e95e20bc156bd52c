// Package installer puts a rendered mesh on a cluster and takes it off again: Install applies a
// render.Manifest with server-side apply in dependency order, waits for it to become ready and explains what
// is not; Uninstall removes what meshctl created, found by its owner labels; Verify and Diff compare a
// manifest with the live cluster. It knows nothing of the command line: progress goes to a Sink, results
// come back as values, errors as typed errors the caller maps to exit codes.
package installer
