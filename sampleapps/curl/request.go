package curl

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// target parses a URL as curl does: without a scheme it is http://.
func target(raw string) (*url.URL, *Error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errorf(ExitURLMalformed, "URL rejected: Malformed input to a URL function")
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return nil, errorf(ExitUnsupportedProto, "Protocol %q not supported", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, errorf(ExitURLMalformed, "URL rejected: No host part in the URL")
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// payload joins the -d arguments into the request body, reading @file arguments (@- is stdin).
func payload(data []Data, stdin io.Reader) ([]byte, *Error) {
	var buf bytes.Buffer
	for i, d := range data {
		if i > 0 && d.Kind != DataJSON {
			buf.WriteByte('&')
		}
		var part []byte
		switch d.Kind {
		case DataRaw:
			part = []byte(d.Value)
		case DataURLEncode:
			var err *Error
			if part, err = urlencoded(d.Value, stdin); err != nil {
				return nil, err
			}
		default:
			file, ok := strings.CutPrefix(d.Value, "@")
			if !ok {
				part = []byte(d.Value)
				break
			}
			var err *Error
			if part, err = readFile(file, stdin); err != nil {
				return nil, err
			}
			if d.Kind == DataASCII {
				// -d @file sends the file without its line breaks; --data-binary keeps them.
				part = bytes.ReplaceAll(bytes.ReplaceAll(part, []byte("\r"), nil), []byte("\n"), nil)
			}
		}
		buf.Write(part)
	}
	return buf.Bytes(), nil
}

func readFile(name string, stdin io.Reader) ([]byte, *Error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, errorf(ExitReadError, "Failed to open/read local data from file/application")
	}
	return data, nil
}

// urlencoded reads one --data-urlencode argument: content, =content, name=content, @file, name@file.
func urlencoded(v string, stdin io.Reader) ([]byte, *Error) {
	eq := strings.IndexByte(v, '=')
	at := strings.IndexByte(v, '@')
	switch {
	case eq >= 0 && (at < 0 || eq < at):
		name, content := v[:eq], v[eq+1:]
		if name == "" {
			return []byte(url.QueryEscape(content)), nil
		}
		return []byte(name + "=" + url.QueryEscape(content)), nil
	case at >= 0:
		name, file := v[:at], v[at+1:]
		data, err := readFile(file, stdin)
		if err != nil {
			return nil, err
		}
		if name == "" {
			return []byte(url.QueryEscape(string(data))), nil
		}
		return []byte(name + "=" + url.QueryEscape(string(data))), nil
	}
	return []byte(url.QueryEscape(v)), nil
}

// headers builds the request headers: curl's defaults, then -A, -u, -b, --compressed, then -H, which
// replaces a default of the same name ("Name:" removes it, "Name;" sends it empty). It returns the Host
// of a -H Host: line, "" without one.
func (o *Options) headers(userAgent string, hasBody bool) (http.Header, string) {
	h := http.Header{}
	h.Set("User-Agent", userAgent)
	if o.UserAgent != nil {
		h.Set("User-Agent", *o.UserAgent)
		if *o.UserAgent == "" {
			h.Del("User-Agent")
		}
	}
	h.Set("Accept", "*/*")
	if o.User != "" {
		user, pass, _ := strings.Cut(o.User, ":")
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	}
	if strings.Contains(o.Cookie, "=") {
		h.Set("Cookie", o.Cookie)
	}
	if o.Compressed {
		h.Set("Accept-Encoding", "deflate, gzip")
	}
	if hasBody && !o.Get {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, d := range o.Data {
			if d.Kind == DataJSON {
				h.Set("Content-Type", "application/json")
				h.Set("Accept", "application/json")
			}
		}
	}
	host := ""
	custom := map[string]bool{}
	for _, line := range o.Headers {
		name, value, ok := strings.Cut(line, ":")
		empty := false
		if !ok {
			if name, ok = strings.CutSuffix(line, ";"); !ok {
				continue // curl ignores a header without : or ;
			}
			empty = true
		}
		name = strings.TrimSpace(name)
		value = strings.TrimSpace(value)
		if name == "" {
			continue
		}
		key := http.CanonicalHeaderKey(name)
		if !custom[key] {
			h.Del(key)
			custom[key] = true
		}
		switch {
		case key == "Host":
			host = value
		case value == "" && !empty:
			// "Name:" only removes curl's own header of that name.
		default:
			h[key] = append(h[key], value)
		}
	}
	return h, host
}
