// Turns the rows of an apache-arrow Table into JSON text, one object per row. Timestamps are
// printed as integers of their unit and 64-bit integers as strings, so that no value passes
// through a double; maps become objects and structs objects by field name.
export function jsonRows(table, { DataType, makeVector }) {
  const vectors = new WeakMap();
  function leaf(data, i) {
    if (!vectors.has(data)) vectors.set(data, makeVector(data));
    const value = vectors.get(data).get(i);
    return typeof value === 'bigint' ? value.toString() : value;
  }

  function value(data, i) {
    if (!data.getValid(i)) return null;
    const type = data.type;
    if (DataType.isTimestamp(type)) return data.values[data.offset + i].toString();
    if (DataType.isStruct(type)) {
      return Object.fromEntries(type.children.map((field, c) => [field.name, value(data.children[c], i)]));
    }
    if (DataType.isList(type) || DataType.isMap(type)) {
      const items = [];
      for (let j = data.valueOffsets[data.offset + i]; j < data.valueOffsets[data.offset + i + 1]; j++) items.push(value(data.children[0], j));
      return DataType.isMap(type) ? Object.fromEntries(items.map(entry => [entry.key, entry.value])) : items;
    }
    return leaf(data, i);
  }

  const rows = [];
  for (const batch of table.batches) {
    for (let i = 0; i < batch.numRows; i++) {
      rows.push(JSON.stringify(Object.fromEntries(batch.schema.fields.map((field, c) => [field.name, value(batch.data.children[c], i)]))));
    }
  }
  return rows;
}
