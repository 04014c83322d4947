"""What the PySpark peer scripts share: rows of a DataFrame, and the error a step raised."""


def rows(df):
    return [list(r) for r in df.collect()]


def error_of(fn, max_message=2000):
    """None when fn() succeeds; else its exception's type, Spark error class and message."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the tests assert on the class and the error class
        get_class = getattr(e, "getCondition", None) or getattr(e, "getErrorClass", None)
        return {"type": type(e).__name__, "error_class": get_class() if get_class else None, "message": str(e)[:max_message]}
    return None
