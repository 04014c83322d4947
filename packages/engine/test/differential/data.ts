/**
 * The input tables of the differential suite, created as Parquet files by DuckDB and read by both
 * Lakebox and Spark. Small, with NULLs, negatives, duplicates and ties on purpose.
 */
export const TABLES: Record<string, string> = {
  people: `SELECT * FROM (VALUES
    (1, 'Ann', 34, 'NY', CAST(1200.50 AS DECIMAL(10,2)), DATE '2020-01-15', TIMESTAMP '2020-01-15 08:30:00', true, 3.5),
    (2, 'bob', NULL, 'SF', CAST(980.00 AS DECIMAL(10,2)), DATE '2019-06-30', TIMESTAMP '2019-06-30 23:59:59.5', false, -1.25),
    (3, 'Cy', 25, 'NY', NULL, DATE '2021-02-28', TIMESTAMP '2021-02-28 00:00:00', true, 0.0),
    (4, 'dee', 41, NULL, CAST(3000.10 AS DECIMAL(10,2)), DATE '2018-12-31', NULL, NULL, 2.75),
    (5, 'Ed', 25, 'LA', CAST(450.25 AS DECIMAL(10,2)), DATE '2022-07-04', TIMESTAMP '2022-07-04 12:00:00', false, NULL),
    (6, 'fay lee', 58, 'SF', CAST(2100.00 AS DECIMAL(10,2)), NULL, TIMESTAMP '2023-03-01 09:15:30.123', true, 10.0),
    (7, 'Gus', 34, 'NY', CAST(1200.50 AS DECIMAL(10,2)), DATE '2020-01-16', TIMESTAMP '2020-01-16 18:45:00', true, -7.5),
    (8, NULL, 19, 'LA', CAST(75.00 AS DECIMAL(10,2)), DATE '2024-02-29', TIMESTAMP '2024-02-29 06:00:00', false, 1.0)
  ) v(id, name, age, city, salary, joined, ts, active, score)`,
  orders: `SELECT * FROM (VALUES
    (CAST(101 AS BIGINT), 1, CAST(19.99 AS DECIMAL(10,2)), 2, DATE '2024-01-01', ['a', 'b']),
    (CAST(102 AS BIGINT), 1, CAST(5.00 AS DECIMAL(10,2)), 1, DATE '2024-01-03', ['b']),
    (CAST(103 AS BIGINT), 2, CAST(250.00 AS DECIMAL(10,2)), 5, DATE '2024-02-10', []),
    (CAST(104 AS BIGINT), 3, NULL, 3, DATE '2024-02-11', NULL),
    (CAST(105 AS BIGINT), 5, CAST(12.50 AS DECIMAL(10,2)), 10, DATE '2024-03-05', ['c', 'a', 'c']),
    (CAST(106 AS BIGINT), 9, CAST(7.25 AS DECIMAL(10,2)), 1, DATE '2024-03-06', ['z']),
    (CAST(107 AS BIGINT), 2, CAST(99.99 AS DECIMAL(10,2)), 2, DATE '2024-03-31', ['a']),
    (CAST(108 AS BIGINT), 6, CAST(0.01 AS DECIMAL(10,2)), 7, DATE '2024-04-01', ['b', NULL])
  ) v(oid, pid, amount, qty, day, tags)`,
  nums: `SELECT * FROM (VALUES
    (1, 10, 2.5, 'x'), (2, -7, -0.5, 'y'), (3, 0, 100.0, NULL), (4, NULL, NULL, 'x'),
    (5, 7, 3.14159, 'z'), (6, 2147483, 1e10, 'y'), (7, -3, -2.5, 'x'), (8, 15, 0.1, 'z')
  ) v(i, n, x, s)`,
  sales: `SELECT * FROM (VALUES
    ('east', 'q1', 2023, 100), ('east', 'q2', 2023, 150), ('west', 'q1', 2023, 80), ('west', 'q2', 2023, NULL),
    ('east', 'q1', 2024, 120), ('west', 'q1', 2024, 90), ('north', 'q3', 2024, 40), ('east', 'q2', 2024, 160)
  ) v(region, quarter, year, amount)`,
};
