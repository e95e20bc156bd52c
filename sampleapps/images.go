package sampleapps

import "strings"

// Registry is where the sample images are published; an image's reference is Registry/Name:version.
const Registry = "ghcr.io/meshctl/samples"

// Entrypoint is where every sample image holds the mesh-samples binary, its entrypoint.
const Entrypoint = "/mesh-samples"

// Links are the paths every sample image links to Entrypoint. The binary acts as the program its name
// says (busybox style), so the commands the tutorials run in sample pods work unchanged:
// `kubectl exec deploy/sleep -- curl ...`, `command: ["/bin/sleep", "infinity"]`, and the httpbin
// samples that start `command: [go-httpbin]`.
var Links = []string{"/usr/bin/curl", "/bin/sleep", "/bin/go-httpbin"}

// Path is the PATH of every sample image, so that a bare command name (`sleep`, `curl`) resolves.
const Path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Image describes one sample image for the image pipeline: the binary with Args as its command,
// and the environment, ports and user the upstream image it replaces has.
type Image struct {
	Name  string            // repository under Registry: "examples-bookinfo-reviews-v2"
	Args  []string          // arguments after Entrypoint: the application, then its flags
	Env   map[string]string // baked into the image, as the upstream Dockerfile's ENV lines
	Ports []int             // TCP ports the application listens on (EXPOSE)
	User  string            // uid[:gid] the process runs as; "0" where it binds a port below 1024
	// Upstream are the image names, without tag, that this image replaces on a local cluster, the name
	// the shipped samples use first. A name matches exactly: "nginx" and "docker.io/library/nginx" are
	// two entries.
	Upstream []string
}

// Ref is the image's reference for version, the project's version string.
func (i Image) Ref(version string) string { return Registry + "/" + i.Name + ":" + version }

// bookinfoUser is the uid the bookinfo images run as; the upstream Deployments ask for it too
// (securityContext.runAsUser: 1000).
const bookinfoUser = "1000"

// Images returns the sample images, one per upstream image the samples use, in a fixed order. The
// slice and its contents are the caller's to change.
func Images() []Image {
	bookinfo := func(app string, env map[string]string) Image {
		name := "examples-bookinfo-" + app
		return Image{
			Name: name, Args: []string{appOf(app)}, Env: env, Ports: []int{9080}, User: bookinfoUser,
			Upstream: []string{"docker.io/istio/" + name, "istio/" + name},
		}
	}
	reviews := func(version, ratings, color string) map[string]string {
		return map[string]string{"SERVICE_VERSION": version, "ENABLE_RATINGS": ratings, "STAR_COLOR": color}
	}
	helloworld := func(version string) Image {
		up := "examples-helloworld-" + version
		return Image{
			Name: "helloworld-" + version, Args: []string{"helloworld"},
			Env: map[string]string{"SERVICE_VERSION": version}, Ports: []int{5000}, User: "1000",
			Upstream: []string{"docker.io/istio/" + up, "istio/" + up, "registry.istio.io/release/" + up},
		}
	}
	return []Image{
		bookinfo("productpage-v1", nil),
		bookinfo("details-v1", nil),
		bookinfo("ratings-v1", map[string]string{"SERVICE_VERSION": "v1"}),
		bookinfo("reviews-v1", reviews("v1", "false", "black")),
		bookinfo("reviews-v2", reviews("v2", "true", "black")),
		bookinfo("reviews-v3", reviews("v3", "true", "red")),
		helloworld("v1"),
		helloworld("v2"),
		{
			// go-httpbin's own image runs as distroless "nonroot".
			Name: "httpbin", Args: []string{"httpbin"}, Ports: []int{8080}, User: "65532:65532",
			Upstream: []string{"docker.io/mccutchen/go-httpbin", "mccutchen/go-httpbin"},
		},
		{
			// curlimages/curl runs as curl_user (100:101); the samples replace the command with sleep.
			Name: "curl", Args: []string{"curl"}, User: "100:101",
			Upstream: []string{"docker.io/curlimages/curl", "curlimages/curl"},
		},
		{
			// nginx listens on 80 as root; so does ours, so that YAML written for nginx works unchanged.
			Name: "static-nginx", Args: []string{"static"}, Ports: []int{80}, User: "0",
			Upstream: []string{"docker.io/library/nginx", "docker.io/nginx", "library/nginx", "nginx"},
		},
	}
}

// appOf is the application serving a bookinfo image: "reviews-v2" → "reviews".
func appOf(image string) string {
	app, _, _ := strings.Cut(image, "-")
	return app
}
