// Package route is the proxy's HTTP routing: a RouteConfig compiled into a Table, an http.Handler
// that picks a virtual host by authority and a route by path, headers and query, then runs the route's
// layers in Envoy's filter order (CORS, fault, then the router: rewrite and header mutations, mirror,
// retries around the round trip through the cluster's load balancer) and copies the answer back,
// streaming, with trailers and WebSocket upgrades.
//
// A Table is immutable; the listener swaps whole tables. What the layers learn about a request
// (cluster, endpoint, response flags) goes into the request's accesslog.Info.
package route
