// Package protocol holds what RocketMQ peers agree on, without any I/O:
// request and response codes, topic and permission types, typed custom
// headers (structs with rmq tags converted to and from a command's
// extFields by EncodeHeader and DecodeHeader), and the JSON bodies of
// requests and responses with their Java spellings.
//
// Lock order: the package holds no locks of its own beyond a cache of
// header field layouts (a sync.Map), which is never held across calls.
package protocol
