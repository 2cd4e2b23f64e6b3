// The labelled router set: queries on TPC-H with the path (row or column) that should be faster, and the
// indexes they assume. Shared by test/router/tpch-paths.test.ts (checks the choice) and bench/router/run.ts
// (times both paths).

/** Indexes the labelled set assumes (run once after loading TPC-H). */
export const LABELLED_SETUP: readonly string[] = [
  'CREATE INDEX orders_cust ON orders (o_custkey)',
  'CREATE INDEX lineitem_ship ON lineitem (l_shipdate)',
];

// [expected path, query]: points and short key/index ranges read rows; scans, aggregations and joins of
// the larger tables read columns; tiny tables stay on rows (the learner round trip costs more).
export const LABELLED: readonly (readonly ['row' | 'column', string])[] = [
  ['row', 'SELECT * FROM orders WHERE o_orderkey = 7'],
  ['row', 'SELECT o_totalprice FROM orders WHERE o_orderkey = 32'],
  ['row', 'SELECT * FROM lineitem WHERE l_orderkey = 1 AND l_linenumber = 1'],
  ['row', 'SELECT * FROM lineitem WHERE l_orderkey = 1'],
  ['row', 'SELECT count(*) FROM lineitem WHERE l_orderkey = 3'],
  ['row', 'SELECT * FROM customer WHERE c_custkey = 10'],
  ['row', 'SELECT * FROM part WHERE p_partkey = 100'],
  ['row', 'SELECT * FROM partsupp WHERE ps_partkey = 5'],
  ['row', 'SELECT s_name FROM supplier WHERE s_suppkey = 3'],
  ['row', 'SELECT * FROM orders WHERE o_orderkey BETWEEN 100 AND 200'],
  ['row', 'SELECT sum(l_quantity) FROM lineitem WHERE l_orderkey < 100'],
  ['row', 'SELECT c_name FROM customer WHERE c_custkey BETWEEN 1 AND 20'],
  ['row', 'SELECT * FROM orders WHERE o_custkey = 10'],
  ['row', 'SELECT count(*) FROM orders WHERE o_custkey BETWEEN 10 AND 12'],
  ['row', "SELECT * FROM lineitem WHERE l_shipdate = DATE '1995-01-01'"],
  ['row', 'SELECT * FROM nation'],
  ['row', 'SELECT r_name FROM region'],
  ['row', 'SELECT n_name, r_name FROM nation JOIN region ON n_regionkey = r_regionkey'],
  ['column', 'SELECT count(*) FROM lineitem'],
  ['column', "SELECT sum(l_extendedprice) FROM lineitem WHERE l_shipdate >= DATE '1995-01-01'"],
  ['column', 'SELECT l_returnflag, count(*) FROM lineitem GROUP BY l_returnflag'],
  ['column', 'SELECT avg(o_totalprice) FROM orders'],
  ['column', 'SELECT o_orderpriority, count(*) FROM orders GROUP BY 1'],
  ['column', 'SELECT count(*) FROM orders JOIN customer ON o_custkey = c_custkey'],
  ['column', "SELECT count(*) FROM lineitem JOIN orders ON l_orderkey = o_orderkey WHERE o_orderdate < DATE '1994-01-01'"],
  ['column', 'SELECT max(ps_supplycost) FROM partsupp'],
  ['column', 'SELECT count(DISTINCT c_nationkey) FROM customer'],
  ['column', 'SELECT o_orderkey FROM orders ORDER BY o_totalprice DESC LIMIT 10'],
  ['column', 'SELECT count(*) FROM lineitem WHERE l_orderkey > 100'],
  ['column', 'SELECT p_brand, count(*) FROM part GROUP BY p_brand'],
  ['column', 'SELECT sum(c_acctbal) FROM customer'],
  ['column', 'SELECT s_nationkey, count(*) FROM supplier JOIN partsupp ON s_suppkey = ps_suppkey GROUP BY s_nationkey'],
];
