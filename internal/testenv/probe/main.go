// Command probe is the real node's test program: one static binary that the node tests run in
// pods to serve, fetch, dial, resolve names and rewrite the pod's nat rules.
//
//	probe serve ADDR TEXT            answer every HTTP request with TEXT
//	probe get URL                    print the body of a GET; https uses the pod's ServiceAccount
//	                                 token and CA, as in-cluster clients do
//	probe dial ADDR                  open a TCP connection (3 s at most)
//	probe lookup NAME                print the addresses NAME resolves to
//	probe nat-redirect PORT TO       redirect the pod's outgoing TCP to PORT to TO (needs NET_ADMIN)
//	probe route-default GW           add a default route via GW (needs NET_ADMIN)
//	probe webhook ADDR CERT KEY      a mutating admission webhook over TLS that annotates what it sees
//	probe sleep                      wait for a signal
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
)

const saDir = "/var/run/secrets/kubernetes.io/serviceaccount"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: probe serve|get|dial|lookup|nat-redirect|sleep ...")
		os.Exit(2)
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "serve":
		err = serve(args[0], args[1])
	case "get":
		err = get(args[0])
	case "dial":
		err = dial(args[0])
	case "lookup":
		err = lookup(args[0])
	case "nat-redirect":
		err = natRedirect(args[0], args[1])
	case "route-default":
		err = routeDefault(args[0])
	case "webhook":
		err = webhook(args[0], args[1], args[2])
	case "sleep":
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
		<-sigs
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		// The kubelet shows this file as the container's termination message.
		_ = os.WriteFile("/dev/termination-log", []byte(err.Error()), 0o644)
		os.Exit(1)
	}
}

func serve(addr, text string) error {
	return http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, text)
	}))
}

func get(url string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if req.URL.Scheme == "https" {
		token, err := os.ReadFile(saDir + "/token")
		if err != nil {
			return err
		}
		ca, err := os.ReadFile(saDir + "/ca.crt")
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return fmt.Errorf("no certificate in %s/ca.crt", saDir)
		}
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
		req.Header.Set("Authorization", "Bearer "+string(token))
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	os.Stdout.Write(body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

func dial(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return err
	}
	fmt.Println("connected", c.RemoteAddr())
	return c.Close()
}

func lookup(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, name)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		fmt.Println(a)
	}
	return nil
}

// natRedirect adds an nft nat chain on the output hook, as a sidecar's init container does to
// capture a pod's outgoing traffic.
func natRedirect(fromText, toText string) error {
	from, err := strconv.ParseUint(fromText, 10, 16)
	if err != nil {
		return err
	}
	to, err := strconv.ParseUint(toText, 10, 16)
	if err != nil {
		return err
	}
	c, err := nftables.New()
	if err != nil {
		return err
	}
	t := c.AddTable(&nftables.Table{Family: nftables.TableFamilyIPv4, Name: "probe"})
	ch := c.AddChain(&nftables.Chain{
		Name: "output", Table: t, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookOutput, Priority: nftables.ChainPriorityNATDest,
	})
	port := func(p uint64) []byte { return binary.BigEndian.AppendUint16(nil, uint16(p)) }
	c.AddRule(&nftables.Rule{Table: t, Chain: ch, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{syscall.IPPROTO_TCP}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: port(from)},
		&expr.Immediate{Register: 1, Data: port(to)},
		&expr.Redir{RegisterProtoMin: 1},
	}})
	if err := c.Flush(); err != nil {
		return fmt.Errorf("add the nat rule: %w", err)
	}
	fmt.Printf("tcp :%d redirected to :%d\n", from, to)
	return nil
}

// routeDefault adds a default route over rtnetlink: what a pod that tries to get out would do.
func routeDefault(gwText string) error {
	gw := net.ParseIP(gwText).To4()
	if gw == nil {
		return fmt.Errorf("gateway %q: want an IPv4 address", gwText)
	}
	c, err := netlink.Dial(syscall.NETLINK_ROUTE, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(syscall.RTA_GATEWAY, gw)
	attrs, err := ae.Encode()
	if err != nil {
		return err
	}
	// struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags (u32).
	rtmsg := []byte{syscall.AF_INET, 0, 0, 0, syscall.RT_TABLE_MAIN, syscall.RTPROT_BOOT, syscall.RT_SCOPE_UNIVERSE, syscall.RTN_UNICAST, 0, 0, 0, 0}
	_, err = c.Execute(netlink.Message{
		Header: netlink.Header{
			Type:  syscall.RTM_NEWROUTE,
			Flags: netlink.Request | netlink.Create | netlink.Excl | netlink.Acknowledge,
		},
		Data: append(rtmsg, attrs...),
	})
	if err != nil {
		return fmt.Errorf("add default route via %s: %w", gw, err)
	}
	fmt.Println("default route via", gw)
	return nil
}

// webhook answers AdmissionReviews: it allows every object and adds the annotation
// probe.meshctl.io/mutated=true with a JSON patch.
func webhook(addr, cert, key string) error {
	return http.ListenAndServeTLS(addr, cert, key, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var review struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Request    struct {
				UID    string `json:"uid"`
				Object struct {
					Metadata struct {
						Annotations map[string]string `json:"annotations"`
					} `json:"metadata"`
				} `json:"object"`
			} `json:"request"`
		}
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		patch := `[{"op":"add","path":"/metadata/annotations","value":{"probe.meshctl.io/mutated":"true"}}]`
		if review.Request.Object.Metadata.Annotations != nil {
			patch = `[{"op":"add","path":"/metadata/annotations/probe.meshctl.io~1mutated","value":"true"}]`
		}
		resp := map[string]any{
			"apiVersion": review.APIVersion, "kind": review.Kind,
			"response": map[string]any{
				"uid": review.Request.UID, "allowed": true,
				"patchType": "JSONPatch", "patch": base64.StdEncoding.EncodeToString([]byte(patch)),
			},
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	}))
}
