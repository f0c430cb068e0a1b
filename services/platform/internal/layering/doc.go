// Package layering holds the repository-wide checks of how the services are layered: which
// packages may import the wire types and who may write a NATS subject. It has no code of its
// own; its tests read the source tree, so a drift fails `make test` rather than a review.
package layering
