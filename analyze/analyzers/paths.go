package analyzers

import "strconv"

// idx is the path of element i of the list at path.
func idx(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }
