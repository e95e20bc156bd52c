package testenv

import (
	"fmt"
	"net"
)

// freePorts returns n distinct free TCP ports on loopback. The listeners stay open until all
// are picked, so the kernel cannot hand out one port twice; another process may still take
// one before the component binds it, which Up handles by starting again on new ports.
func freePorts(n int) ([]int, error) {
	var out []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", loopback+":0")
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

func newPorts() (ports, error) {
	p, err := freePorts(4)
	if err != nil {
		return ports{}, err
	}
	return ports{EtcdClient: p[0], EtcdPeer: p[1], APIServer: p[2], Kwok: p[3]}, nil
}
