// Package browser holds the web console's browser tests: a real all-in-one platform, a squad
// imported through `sc import`, and Debian's chromium driven by chromedp, saving a screenshot
// of every screen under $SC_ARTIFACTS (default <repo>/.artifacts/console).
package browser
