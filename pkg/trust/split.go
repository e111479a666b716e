package trust

import "bytes"

// SplitBundles returns the bundles of a bundle file: the whole file when it
// is one JSON document (pretty-printed or not), else each non-empty line of
// a JSON Lines file (`gh attestation download`, `*.intoto.jsonl`).
func SplitBundles(data []byte) [][]byte {
	trimmed := bytes.TrimSpace(data)
	lines := bytes.Split(trimmed, []byte("\n"))
	var docs [][]byte
	for _, l := range lines {
		if l = bytes.TrimSpace(l); len(l) > 0 {
			docs = append(docs, l)
		}
	}
	if len(docs) <= 1 || !bytes.HasPrefix(docs[1], []byte("{")) || !bytes.HasSuffix(docs[0], []byte("}")) {
		return [][]byte{data}
	}
	return docs
}
