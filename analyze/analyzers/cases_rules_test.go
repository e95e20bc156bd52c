package analyzers

// ruleCases cover rule order: matches an earlier match takes, in HTTP, TCP and TLS rules.
var ruleCases = []analyzerCase{
	{"match shadowed by a shorter prefix", "virtualservice.rules", vs("  hosts: [reviews]\n  http:\n  - match: [{uri: {prefix: /api}}]\n    route: [{destination: {host: reviews}}]\n  - match: [{uri: {prefix: /api/v2}}, {uri: {exact: /api}}, {uri: {prefix: /web}}]\n    route: [{destination: {host: reviews}}]"),
		[]string{"IST0131 VirtualService reviews.default spec.http[1].match[0]", "IST0131 VirtualService reviews.default spec.http[1].match[1]"}},
	// A match that adds a method to an earlier one is taken by it; within one match block too.
	{"matches differing only by method", "virtualservice.rules", vs("  hosts: [reviews]\n  http:\n  - match: [{uri: {exact: /a}}, {uri: {exact: /a}, method: {exact: GET}}]\n    route: [{destination: {host: reviews}}]\n  - match: [{uri: {exact: /a}, method: {exact: POST}}]\n    route: [{destination: {host: reviews}}]"),
		[]string{"IST0131 VirtualService reviews.default spec.http[0].match[1]", "IST0130 VirtualService reviews.default spec.http[1]"}},
	{"more specific first", "virtualservice.rules", vs("  hosts: [reviews]\n  http:\n  - match: [{uri: {exact: /a}, method: {exact: GET}}, {uri: {prefix: /api/v2}}]\n    route: [{destination: {host: reviews}}]\n  - match: [{uri: {exact: /a}}, {uri: {prefix: /api}}, {headers: {x: {exact: \"1\"}}}]\n    route: [{destination: {host: reviews}}]\n  - route: [{destination: {host: reviews}}]"), nil},
	// prefix / takes every request: a later rule is never used.
	{"after a prefix slash", "virtualservice.rules", vs("  hosts: [reviews]\n  http:\n  - match: [{uri: {prefix: /}}]\n    route: [{destination: {host: reviews}}]\n  - match: [{headers: {x: {exact: \"1\"}}}]\n    route: [{destination: {host: reviews}}]\n  - route: [{destination: {host: reviews}}]"),
		[]string{"IST0130 VirtualService reviews.default spec.http[1]", "IST0130 VirtualService reviews.default spec.http[2]"}},
	{"tcp and tls rules", "virtualservice.rules", vs("  hosts: [\"*.example.com\"]\n  tcp:\n  - match: [{port: 5432}]\n    route: [{destination: {host: db}}]\n  - match: [{port: 5432, sourceLabels: {app: a}}, {port: 3306}]\n    route: [{destination: {host: db}}]\n  - route: [{destination: {host: db}}]\n  - route: [{destination: {host: db}}]\n  tls:\n  - match: [{sniHosts: [\"*.example.com\"]}]\n    route: [{destination: {host: a}}]\n  - match: [{sniHosts: [a.example.com], port: 443}]\n    route: [{destination: {host: a}}]"),
		[]string{"IST0131 VirtualService reviews.default spec.tcp[1].match[0]", "IST0130 VirtualService reviews.default spec.tcp[3]", "IST0130 VirtualService reviews.default spec.tls[1]"}},
	{"tcp and tls rules in order", "virtualservice.rules", vs("  hosts: [\"*.example.com\"]\n  tcp:\n  - match: [{port: 5432, sourceLabels: {app: a}}]\n    route: [{destination: {host: db}}]\n  - match: [{port: 5432}]\n    route: [{destination: {host: db}}]\n  tls:\n  - match: [{sniHosts: [a.example.com]}]\n    route: [{destination: {host: a}}]\n  - match: [{sniHosts: [\"*.example.com\"]}]\n    route: [{destination: {host: a}}]"), nil},
}
