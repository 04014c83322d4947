"""The 22 TPC-H queries written with the PySpark DataFrame API (Spark Connect client).

Each function takes a dict of DataFrames (region, nation, supplier, customer, part, partsupp,
orders, lineitem) and the scale factor, and returns the query's DataFrame. Columns are referenced by
name only (TPC-H column names are unique across tables), so no plan-id column references are needed.
Substitution parameters are the validation values of the TPC-H specification.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from pyspark.sql import functions as F

col = F.col


def d(s: str) -> Any:
    return F.lit(dt.date.fromisoformat(s))


def rev() -> Any:
    return col("l_extendedprice") * (1 - col("l_discount"))


def q01(t: dict, sf: float) -> Any:
    return (
        t["lineitem"]
        .filter(col("l_shipdate") <= d("1998-09-02"))
        .groupBy("l_returnflag", "l_linestatus")
        .agg(
            F.sum("l_quantity").alias("sum_qty"),
            F.sum("l_extendedprice").alias("sum_base_price"),
            F.sum(rev()).alias("sum_disc_price"),
            F.sum(rev() * (1 + col("l_tax"))).alias("sum_charge"),
            F.avg("l_quantity").alias("avg_qty"),
            F.avg("l_extendedprice").alias("avg_price"),
            F.avg("l_discount").alias("avg_disc"),
            F.count("*").alias("count_order"),
        )
        .orderBy("l_returnflag", "l_linestatus")
    )


def q02(t: dict, sf: float) -> Any:
    europe = (
        t["region"]
        .filter(col("r_name") == "EUROPE")
        .join(t["nation"], col("r_regionkey") == col("n_regionkey"))
        .join(t["supplier"], col("n_nationkey") == col("s_nationkey"))
        .join(t["partsupp"], col("s_suppkey") == col("ps_suppkey"))
    )
    brass = t["part"].filter((col("p_size") == 15) & col("p_type").endswith("BRASS"))
    j = europe.join(brass, col("ps_partkey") == col("p_partkey"))
    cheapest = j.groupBy("ps_partkey").agg(F.min("ps_supplycost").alias("min_cost")).withColumnRenamed("ps_partkey", "m_partkey")
    return (
        j.join(cheapest, (col("ps_partkey") == col("m_partkey")) & (col("ps_supplycost") == col("min_cost")))
        .select("s_acctbal", "s_name", "n_name", "p_partkey", "p_mfgr", "s_address", "s_phone", "s_comment")
        .orderBy(col("s_acctbal").desc(), "n_name", "s_name", "p_partkey")
        .limit(100)
    )


def q03(t: dict, sf: float) -> Any:
    return (
        t["customer"]
        .filter(col("c_mktsegment") == "BUILDING")
        .join(t["orders"].filter(col("o_orderdate") < d("1995-03-15")), col("c_custkey") == col("o_custkey"))
        .join(t["lineitem"].filter(col("l_shipdate") > d("1995-03-15")), col("l_orderkey") == col("o_orderkey"))
        .groupBy("l_orderkey", "o_orderdate", "o_shippriority")
        .agg(F.sum(rev()).alias("revenue"))
        .select("l_orderkey", "revenue", "o_orderdate", "o_shippriority")
        .orderBy(col("revenue").desc(), "o_orderdate")
        .limit(10)
    )


def q04(t: dict, sf: float) -> Any:
    late = t["lineitem"].filter(col("l_commitdate") < col("l_receiptdate"))
    return (
        t["orders"]
        .filter((col("o_orderdate") >= d("1993-07-01")) & (col("o_orderdate") < d("1993-10-01")))
        .join(late, col("o_orderkey") == col("l_orderkey"), "left_semi")
        .groupBy("o_orderpriority")
        .agg(F.count("*").alias("order_count"))
        .orderBy("o_orderpriority")
    )


def q05(t: dict, sf: float) -> Any:
    return (
        t["region"]
        .filter(col("r_name") == "ASIA")
        .join(t["nation"], col("r_regionkey") == col("n_regionkey"))
        .join(t["customer"], col("n_nationkey") == col("c_nationkey"))
        .join(
            t["orders"].filter((col("o_orderdate") >= d("1994-01-01")) & (col("o_orderdate") < d("1995-01-01"))),
            col("c_custkey") == col("o_custkey"),
        )
        .join(t["lineitem"], col("l_orderkey") == col("o_orderkey"))
        .join(t["supplier"], (col("l_suppkey") == col("s_suppkey")) & (col("c_nationkey") == col("s_nationkey")))
        .groupBy("n_name")
        .agg(F.sum(rev()).alias("revenue"))
        .orderBy(col("revenue").desc())
    )


def q06(t: dict, sf: float) -> Any:
    return (
        t["lineitem"]
        .filter(
            (col("l_shipdate") >= d("1994-01-01"))
            & (col("l_shipdate") < d("1995-01-01"))
            & col("l_discount").between(0.05, 0.07)
            & (col("l_quantity") < 24)
        )
        .agg(F.sum(col("l_extendedprice") * col("l_discount")).alias("revenue"))
    )


def q07(t: dict, sf: float) -> Any:
    n1 = t["nation"].select(col("n_nationkey").alias("supp_nk"), col("n_name").alias("supp_nation"))
    n2 = t["nation"].select(col("n_nationkey").alias("cust_nk"), col("n_name").alias("cust_nation"))
    li = t["lineitem"].filter((col("l_shipdate") >= d("1995-01-01")) & (col("l_shipdate") <= d("1996-12-31")))
    return (
        t["supplier"]
        .join(n1, col("s_nationkey") == col("supp_nk"))
        .join(li, col("s_suppkey") == col("l_suppkey"))
        .join(t["orders"], col("o_orderkey") == col("l_orderkey"))
        .join(t["customer"], col("c_custkey") == col("o_custkey"))
        .join(n2, col("c_nationkey") == col("cust_nk"))
        .filter(
            ((col("supp_nation") == "FRANCE") & (col("cust_nation") == "GERMANY"))
            | ((col("supp_nation") == "GERMANY") & (col("cust_nation") == "FRANCE"))
        )
        .select("supp_nation", "cust_nation", F.year("l_shipdate").alias("l_year"), rev().alias("volume"))
        .groupBy("supp_nation", "cust_nation", "l_year")
        .agg(F.sum("volume").alias("revenue"))
        .orderBy("supp_nation", "cust_nation", "l_year")
    )


def q08(t: dict, sf: float) -> Any:
    n1 = t["nation"].select(col("n_nationkey").alias("n1_key"), col("n_regionkey").alias("n1_region"))
    n2 = t["nation"].select(col("n_nationkey").alias("n2_key"), col("n_name").alias("nation"))
    return (
        t["region"]
        .filter(col("r_name") == "AMERICA")
        .join(n1, col("r_regionkey") == col("n1_region"))
        .join(t["customer"], col("n1_key") == col("c_nationkey"))
        .join(
            t["orders"].filter((col("o_orderdate") >= d("1995-01-01")) & (col("o_orderdate") <= d("1996-12-31"))),
            col("c_custkey") == col("o_custkey"),
        )
        .join(t["lineitem"], col("l_orderkey") == col("o_orderkey"))
        .join(t["part"].filter(col("p_type") == "ECONOMY ANODIZED STEEL"), col("p_partkey") == col("l_partkey"))
        .join(t["supplier"], col("s_suppkey") == col("l_suppkey"))
        .join(n2, col("s_nationkey") == col("n2_key"))
        .select(F.year("o_orderdate").alias("o_year"), rev().alias("volume"), "nation")
        .groupBy("o_year")
        .agg(
            (F.sum(F.when(col("nation") == "BRAZIL", col("volume")).otherwise(0)) / F.sum("volume")).alias("mkt_share")
        )
        .orderBy("o_year")
    )


def q09(t: dict, sf: float) -> Any:
    return (
        t["part"]
        .filter(col("p_name").contains("green"))
        .join(t["lineitem"], col("p_partkey") == col("l_partkey"))
        .join(t["supplier"], col("s_suppkey") == col("l_suppkey"))
        .join(t["partsupp"], (col("ps_suppkey") == col("l_suppkey")) & (col("ps_partkey") == col("l_partkey")))
        .join(t["orders"], col("o_orderkey") == col("l_orderkey"))
        .join(t["nation"], col("s_nationkey") == col("n_nationkey"))
        .select(
            col("n_name").alias("nation"),
            F.year("o_orderdate").alias("o_year"),
            (rev() - col("ps_supplycost") * col("l_quantity")).alias("amount"),
        )
        .groupBy("nation", "o_year")
        .agg(F.sum("amount").alias("sum_profit"))
        .orderBy("nation", col("o_year").desc())
    )


def q10(t: dict, sf: float) -> Any:
    return (
        t["customer"]
        .join(
            t["orders"].filter((col("o_orderdate") >= d("1993-10-01")) & (col("o_orderdate") < d("1994-01-01"))),
            col("c_custkey") == col("o_custkey"),
        )
        .join(t["lineitem"].filter(col("l_returnflag") == "R"), col("l_orderkey") == col("o_orderkey"))
        .join(t["nation"], col("c_nationkey") == col("n_nationkey"))
        .groupBy("c_custkey", "c_name", "c_acctbal", "c_phone", "n_name", "c_address", "c_comment")
        .agg(F.sum(rev()).alias("revenue"))
        .select("c_custkey", "c_name", "revenue", "c_acctbal", "n_name", "c_address", "c_phone", "c_comment")
        .orderBy(col("revenue").desc())
        .limit(20)
    )


def q11(t: dict, sf: float) -> Any:
    german = (
        t["partsupp"]
        .join(t["supplier"], col("ps_suppkey") == col("s_suppkey"))
        .join(t["nation"].filter(col("n_name") == "GERMANY"), col("s_nationkey") == col("n_nationkey"))
        .select("ps_partkey", (col("ps_supplycost") * col("ps_availqty")).alias("v"))
    )
    threshold = german.agg((F.sum("v") * (0.0001 / sf)).alias("threshold"))
    return (
        german.groupBy("ps_partkey")
        .agg(F.sum("v").alias("value"))
        .crossJoin(threshold)
        .filter(col("value") > col("threshold"))
        .select("ps_partkey", "value")
        .orderBy(col("value").desc())
    )


def q12(t: dict, sf: float) -> Any:
    urgent = col("o_orderpriority").isin("1-URGENT", "2-HIGH")
    return (
        t["orders"]
        .join(
            t["lineitem"].filter(
                col("l_shipmode").isin("MAIL", "SHIP")
                & (col("l_commitdate") < col("l_receiptdate"))
                & (col("l_shipdate") < col("l_commitdate"))
                & (col("l_receiptdate") >= d("1994-01-01"))
                & (col("l_receiptdate") < d("1995-01-01"))
            ),
            col("o_orderkey") == col("l_orderkey"),
        )
        .groupBy("l_shipmode")
        .agg(
            F.sum(F.when(urgent, 1).otherwise(0)).alias("high_line_count"),
            F.sum(F.when(~urgent, 1).otherwise(0)).alias("low_line_count"),
        )
        .orderBy("l_shipmode")
    )


def q13(t: dict, sf: float) -> Any:
    orders = t["orders"].filter(~col("o_comment").like("%special%requests%"))
    return (
        t["customer"]
        .join(orders, col("c_custkey") == col("o_custkey"), "left")
        .groupBy("c_custkey")
        .agg(F.count("o_orderkey").alias("c_count"))
        .groupBy("c_count")
        .agg(F.count("*").alias("custdist"))
        .orderBy(col("custdist").desc(), col("c_count").desc())
    )


def q14(t: dict, sf: float) -> Any:
    return (
        t["lineitem"]
        .filter((col("l_shipdate") >= d("1995-09-01")) & (col("l_shipdate") < d("1995-10-01")))
        .join(t["part"], col("l_partkey") == col("p_partkey"))
        .agg(
            (100.0 * F.sum(F.when(col("p_type").startswith("PROMO"), rev()).otherwise(0)) / F.sum(rev())).alias(
                "promo_revenue"
            )
        )
    )


def q15(t: dict, sf: float) -> Any:
    revenue = (
        t["lineitem"]
        .filter((col("l_shipdate") >= d("1996-01-01")) & (col("l_shipdate") < d("1996-04-01")))
        .groupBy("l_suppkey")
        .agg(F.sum(rev()).alias("total_revenue"))
    )
    top = revenue.agg(F.max("total_revenue").alias("max_revenue"))
    return (
        t["supplier"]
        .join(revenue, col("s_suppkey") == col("l_suppkey"))
        .crossJoin(top)
        .filter(col("total_revenue") == col("max_revenue"))
        .select("s_suppkey", "s_name", "s_address", "s_phone", "total_revenue")
        .orderBy("s_suppkey")
    )


def q16(t: dict, sf: float) -> Any:
    complainers = t["supplier"].filter(col("s_comment").like("%Customer%Complaints%")).select("s_suppkey")
    parts = t["part"].filter(
        (col("p_brand") != "Brand#45")
        & ~col("p_type").startswith("MEDIUM POLISHED")
        & col("p_size").isin(49, 14, 23, 45, 19, 3, 36, 9)
    )
    return (
        t["partsupp"]
        .join(complainers, col("ps_suppkey") == col("s_suppkey"), "left_anti")
        .join(parts, col("p_partkey") == col("ps_partkey"))
        .groupBy("p_brand", "p_type", "p_size")
        .agg(F.countDistinct("ps_suppkey").alias("supplier_cnt"))
        .orderBy(col("supplier_cnt").desc(), "p_brand", "p_type", "p_size")
    )


def q17(t: dict, sf: float) -> Any:
    lp = t["lineitem"].join(
        t["part"].filter((col("p_brand") == "Brand#23") & (col("p_container") == "MED BOX")),
        col("l_partkey") == col("p_partkey"),
    )
    small = lp.groupBy("l_partkey").agg((0.2 * F.avg("l_quantity")).alias("avg_qty")).withColumnRenamed("l_partkey", "a_partkey")
    return (
        lp.join(small, col("l_partkey") == col("a_partkey"))
        .filter(col("l_quantity") < col("avg_qty"))
        .agg((F.sum("l_extendedprice") / 7.0).alias("avg_yearly"))
    )


def q18(t: dict, sf: float) -> Any:
    big = (
        t["lineitem"]
        .groupBy("l_orderkey")
        .agg(F.sum("l_quantity").alias("qty"))
        .filter(col("qty") > 300)
        .select(col("l_orderkey").alias("big_key"))
    )
    return (
        t["customer"]
        .join(t["orders"], col("c_custkey") == col("o_custkey"))
        .join(big, col("o_orderkey") == col("big_key"))
        .join(t["lineitem"], col("l_orderkey") == col("o_orderkey"))
        .groupBy("c_name", "c_custkey", "o_orderkey", "o_orderdate", "o_totalprice")
        .agg(F.sum("l_quantity").alias("sum_qty"))
        .orderBy(col("o_totalprice").desc(), "o_orderdate")
        .limit(100)
    )


def q19(t: dict, sf: float) -> Any:
    def case(brand: str, containers: list[str], lo: int, hi: int, size: int) -> Any:
        return (
            (col("p_brand") == brand)
            & col("p_container").isin(*containers)
            & (col("l_quantity") >= lo)
            & (col("l_quantity") <= hi)
            & col("p_size").between(1, size)
        )

    return (
        t["lineitem"]
        .filter(col("l_shipmode").isin("AIR", "AIR REG") & (col("l_shipinstruct") == "DELIVER IN PERSON"))
        .join(t["part"], col("p_partkey") == col("l_partkey"))
        .filter(
            case("Brand#12", ["SM CASE", "SM BOX", "SM PACK", "SM PKG"], 1, 11, 5)
            | case("Brand#23", ["MED BAG", "MED BOX", "MED PKG", "MED PACK"], 10, 20, 10)
            | case("Brand#34", ["LG CASE", "LG BOX", "LG PACK", "LG PKG"], 20, 30, 15)
        )
        .agg(F.sum(rev()).alias("revenue"))
    )


def q20(t: dict, sf: float) -> Any:
    forest = t["part"].filter(col("p_name").startswith("forest")).select("p_partkey")
    shipped = (
        t["lineitem"]
        .filter((col("l_shipdate") >= d("1994-01-01")) & (col("l_shipdate") < d("1995-01-01")))
        .groupBy("l_partkey", "l_suppkey")
        .agg((0.5 * F.sum("l_quantity")).alias("half_qty"))
    )
    candidates = (
        t["partsupp"]
        .join(forest, col("ps_partkey") == col("p_partkey"), "left_semi")
        .join(shipped, (col("ps_partkey") == col("l_partkey")) & (col("ps_suppkey") == col("l_suppkey")))
        .filter(col("ps_availqty") > col("half_qty"))
        .select("ps_suppkey")
    )
    return (
        t["supplier"]
        .join(t["nation"].filter(col("n_name") == "CANADA"), col("s_nationkey") == col("n_nationkey"))
        .join(candidates, col("s_suppkey") == col("ps_suppkey"), "left_semi")
        .select("s_name", "s_address")
        .orderBy("s_name")
    )


def q21(t: dict, sf: float) -> Any:
    li = t["lineitem"]
    late = li.filter(col("l_receiptdate") > col("l_commitdate"))
    suppliers = li.groupBy("l_orderkey").agg(F.countDistinct("l_suppkey").alias("n_supp")).withColumnRenamed("l_orderkey", "a_key")
    late_suppliers = (
        late.groupBy("l_orderkey").agg(F.countDistinct("l_suppkey").alias("n_late")).withColumnRenamed("l_orderkey", "b_key")
    )
    return (
        late.join(t["supplier"], col("l_suppkey") == col("s_suppkey"))
        .join(t["nation"].filter(col("n_name") == "SAUDI ARABIA"), col("s_nationkey") == col("n_nationkey"))
        .join(t["orders"].filter(col("o_orderstatus") == "F"), col("o_orderkey") == col("l_orderkey"))
        .join(suppliers, col("a_key") == col("l_orderkey"))
        .filter(col("n_supp") > 1)
        .join(late_suppliers, col("b_key") == col("l_orderkey"))
        .filter(col("n_late") == 1)
        .groupBy("s_name")
        .agg(F.count("*").alias("numwait"))
        .orderBy(col("numwait").desc(), "s_name")
        .limit(100)
    )


def q22(t: dict, sf: float) -> Any:
    codes = ["13", "31", "23", "29", "30", "18", "17"]
    cust = t["customer"].select(
        F.substring("c_phone", 1, 2).alias("cntrycode"), "c_acctbal", "c_custkey"
    ).filter(col("cntrycode").isin(*codes))
    avg_bal = cust.filter(col("c_acctbal") > 0.0).agg(F.avg("c_acctbal").alias("avg_bal"))
    return (
        cust.crossJoin(avg_bal)
        .filter(col("c_acctbal") > col("avg_bal"))
        .join(t["orders"], col("c_custkey") == col("o_custkey"), "left_anti")
        .groupBy("cntrycode")
        .agg(F.count("*").alias("numcust"), F.sum("c_acctbal").alias("totacctbal"))
        .orderBy("cntrycode")
    )


QUERIES: dict[str, Callable[[dict, float], Any]] = {f"q{i:02d}": globals()[f"q{i:02d}"] for i in range(1, 23)}
