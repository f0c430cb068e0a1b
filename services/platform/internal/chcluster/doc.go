// Package chcluster holds the ClickHouse cluster checks of the deployment: a Distributed table
// over two shards, each a ClickHouse server process of its own, must answer the trend-style
// aggregations exactly as one server holding every row. Distributed over plain MergeTree needs
// no ZooKeeper, so the check runs on any machine with clickhouse-server installed.
package chcluster
