type CsvState = 'record' | 'field-start' | 'field' | 'quoted' | 'quote-in-quoted';

/**
 * Parses CSV the way Python's `csv.reader` does with the default (excel) dialect, which is how the
 * MMLU CSVs are read upstream: quotes open a field only at its start, `""` inside quotes is a quote,
 * newlines may sit inside quotes, characters after a closing quote are kept (strict=False). Blank lines
 * (rows with no fields) are skipped.
 */
export function parseCsv(text: string, file = '<csv>'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let state: CsvState = 'record';
  const saveField = () => {
    row.push(field);
    field = '';
  };
  const endRecord = () => {
    rows.push(row);
    row = [];
    state = 'record';
  };
  for (let i = 0; i < text.length; i++) {
    let c = text[i];
    const eol = c === '\n' || c === '\r';
    if (c === '\r' && text[i + 1] === '\n') {
      c = '\r\n';
      i++;
    }
    if (state === 'record') {
      if (eol) continue;
      state = 'field-start';
    }
    if (state === 'quoted') {
      if (c === '"') state = 'quote-in-quoted';
      else field += c;
    } else if (state === 'quote-in-quoted' && c === '"') {
      field += '"';
      state = 'quoted';
    } else if (state === 'field-start' && c === '"') {
      state = 'quoted';
    } else if (c === ',') {
      saveField();
      state = 'field-start';
    } else if (eol) {
      saveField();
      endRecord();
    } else {
      field += c;
      state = 'field';
    }
  }
  if (state === 'quoted') throw new Error(`${file}: unexpected end of data inside a quoted field`);
  if (state !== 'record') {
    saveField();
    endRecord();
  }
  return rows;
}
