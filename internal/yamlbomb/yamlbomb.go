// Package yamlbomb holds hostile YAML for the tests of every reader of user input, which must refuse it in
// bounded memory with an error naming the file and line.
package yamlbomb

// Laughs is "billion laughs": eight lines of nine aliases each that stand for 9^8 = 43 million strings.
// Read naively it cost meshctl 1.9 GB before anything failed.
const Laughs = `a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
`

// LaughsLine is the line of Laughs that kubeyaml refuses: the first where aliases make more than 99% of the
// nodes read so far (the limit yaml.v3 and the Kubernetes API server apply).
const LaughsLine = 4
