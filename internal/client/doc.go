// Package client is gorocket's RocketMQ 4.x client: name-server routing,
// producer, pull and push consumers, and the admin calls mqadmin needs.
package client
