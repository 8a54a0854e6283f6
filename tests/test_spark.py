"""dutyroute.spark: route_dataframe in Spark local mode, and route_pandas (what each batch runs)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys

import pytest

from dutyroute.errors import InputError

# the spark extra, looked up rather than imported: collecting this module on every xdist worker
# would otherwise import pandas (about 0.3 s) for the one worker that runs these tests
pytestmark = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("pandas", "pyarrow")),
    reason="the spark extra (pandas, pyarrow) is not installed",
)


def test_route_pandas_adds_the_decision_columns_and_errors_per_row(fused) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from dutyroute.spark import DECISION_COLUMNS, route_pandas

    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e"],
            "text": ["县道塌了个坑", "路上有个大坑", None, "。。。", "有人在地里烧秸秆"],
            "road": [None, "村道", None, None, ""],
        }
    )
    out = route_pandas(frame, facts_cols={"road": "road_class"})
    assert list(out.columns) == ["id", "text", "road", *(n for n, _ in DECISION_COLUMNS)]
    assert out["status"].tolist() == ["routed", "routed", "error", "error", "routed"]
    assert out["matter"].tolist()[0] == fused.route("县道塌了个坑").matter
    assert out["matter"].tolist()[1] == fused.route("路上有个大坑", facts={"road_class": "村道"}).matter
    assert out["acting"].tolist()[0] == ["县交通运输局"]
    assert "null" in out["error"].tolist()[2]
    assert "empty" in out["error"].tolist()[3]
    assert out["basis"].tolist()[4].endswith(fused.route("有人在地里烧秸秆").basis.split("》")[1])
    assert list(frame.columns) == ["id", "text", "road"]  # the input is not changed


needs_spark = pytest.mark.skipif(
    shutil.which("java") is None, reason="Spark needs a Java runtime (java on PATH)"
)


@pytest.fixture(scope="module")
def spark():  # type: ignore[no-untyped-def]
    pyspark = pytest.importorskip("pyspark")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors run this interpreter
    session = (
        # one executor thread: the two partitions run one after the other in one reused Python
        # worker, so the router loads once (the suite's other worker has the second core); the JVM
        # skips its optimising compiler, which a test this short never pays back
        pyspark.sql.SparkSession.builder.master("local[1]")
        .appName("dutyroute-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@needs_spark
def test_route_dataframe_in_local_mode_matches_the_library(spark, fused) -> None:  # type: ignore[no-untyped-def]
    from dutyroute.spark import route_dataframe

    rows = [
        ("a", "县道塌了个坑", None),
        ("b", "路上有个大坑", "村道"),
        ("c", None, None),
        ("d", "有人在地里烧秸秆", None),
        ("e", "我的信用卡被盗刷了", None),
    ]
    df = spark.createDataFrame(rows, "id string, text string, road_class string").repartition(2)
    out = route_dataframe(df, facts_cols=["road_class"])
    assert out.columns[:3] == ["id", "text", "road_class"]
    assert dict(out.dtypes)["acting"] == "array<string>" and dict(out.dtypes)["confidence"] == "double"
    got = {r["id"]: r for r in out.collect()}
    for cid, text, road in rows:
        if text is None:
            assert got[cid]["status"] == "error" and "null" in got[cid]["error"]
            continue
        d = fused.route(text, facts={"road_class": road} if road else None)
        assert got[cid]["status"] == d.status
        assert got[cid]["matter"] == (d.matter if d.status == "routed" else None)
        assert list(got[cid]["acting"]) == list(d.acting)
        assert got[cid]["reclaimed"] == d.reclaimed


@needs_spark
def test_route_dataframe_refuses_missing_and_clashing_columns(spark) -> None:  # type: ignore[no-untyped-def]
    from dutyroute.spark import route_dataframe

    df = spark.createDataFrame([("a", "x", "open")], "id string, body string, status string")
    with pytest.raises(InputError, match="column 'text' is not in the DataFrame"):
        route_dataframe(df)
    with pytest.raises(InputError, match="prefix="):
        route_dataframe(df, text_col="body")
    assert "route_status" in route_dataframe(df, text_col="body", prefix="route_").columns
