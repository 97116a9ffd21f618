"""Reads an Avro container file with Apache Avro's Python implementation (Debian's python3-avro),
an Avro reader IceGate did not write, and prints its metadata, writer schema and records as JSON
(bytes as hex)."""
import json
import sys

import avro.datafile
import avro.io


def plain(value):
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


with open(sys.argv[1], "rb") as file:
    reader = avro.datafile.DataFileReader(file, avro.io.DatumReader())
    metadata = {key: value.decode("utf-8") for key, value in reader.meta.items() if key != "avro.sync"}
    records = [plain(record) for record in reader]
    print(json.dumps({"metadata": metadata, "records": records}, default=str))
