package conn

// MaxFragment is maxFragment, for the tests of package conn_test.
const MaxFragment = maxFragment
