// Package alertpath follows the one record that makes a deload rule fire through the whole
// platform: gRPC ingestion -> TRAINING -> fatigue -> ANALYSIS -> programming and notifications
// -> NOTIFY -> the coach's signed webhook. Its test checks that the record's trace is one
// connected trace across every service and the webhook call; its benchmark measures how long
// the path takes, idle and under a background stream of other athletes' sets, and uses the
// traces to say where the time goes.
package alertpath
