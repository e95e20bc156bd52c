package kubeyaml

// Value parses the whole document into JSON-shaped values (the shape of Object.Value), without expanding
// a List and without line information: for YAML that is data rather than objects to report on (rendered
// templates, values files), and for writing a List back after changing its items.
func (d *Document) Value() (any, error) {
	if f, err := parseFast(d.Raw); err == nil {
		c := converter{d: d}
		return c.fastValue(f)
	}
	root, err := d.Node()
	if err != nil {
		return nil, err
	}
	return d.toValue(root)
}

// InList reports whether the object is an item of a List document rather than the document itself.
func (o *Object) InList() bool { return o.item > 0 }
