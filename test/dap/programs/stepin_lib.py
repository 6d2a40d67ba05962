"""A call into the standard library, to step into (or over, with justMyCode)."""
import json


def main():
    data = {"a": 1}  # BP-LIB
    text = json.dumps(data)  # LIB-CALL
    return text  # AFTER-LIB


main()
