"""Claims: what an article claims or reports, matched against fact-checks a user supplies
(``retrieval``), and the same claim across the articles of a corpus."""
