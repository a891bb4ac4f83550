//! Report downloads: the [`Table`] a report is flattened into, its CSV and XLSX encodings, the
//! choice of [`Format`] (`?format=`, else the `Accept` header, else JSON) and of header
//! [`Lang`]uage, the Vietnamese column labels, and the response carrying the file.
//! The reports themselves (what rows and columns) stay in `api::reports`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::ApiError;

pub const CSV: &str = "text/csv";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The representation of a report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Json,
    Csv,
    Xlsx,
}

impl Format {
    /// The format asked for: the query parameter, else the `Accept` header, else JSON.
    pub fn choose(query: Option<Format>, req: &HttpRequest) -> Format {
        query
            .or_else(|| {
                req.headers()
                    .get(header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Format::from_accept)
            })
            .unwrap_or_default()
    }

    /// The preferred format of an `Accept` header (by quality, then order); None when it names
    /// none of them.
    pub fn from_accept(accept: &str) -> Option<Format> {
        let mut choices: Vec<(f32, usize, Format)> = accept
            .split(',')
            .enumerate()
            .filter_map(|(i, item)| {
                let mut parts = item.split(';');
                let media = parts.next()?.trim().to_ascii_lowercase();
                let quality = parts
                    .filter_map(|p| p.trim().strip_prefix("q="))
                    .find_map(|q| q.trim().parse::<f32>().ok())
                    .unwrap_or(1.0);
                let format = match media.as_str() {
                    "application/json" | "application/*" | "*/*" => Format::Json,
                    CSV => Format::Csv,
                    XLSX => Format::Xlsx,
                    _ => return None,
                };
                (quality > 0.0).then_some((quality, i, format))
            })
            .collect();
        choices.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        choices.first().map(|c| c.2)
    }
}

/// The language of a download's column headers: `en`, the JSON field names, or `vi`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    En,
    Vi,
}

impl Lang {
    /// The header of the column showing the field `key`.
    pub fn label(self, key: &str) -> String {
        match self {
            Lang::En => key.to_string(),
            Lang::Vi => LABELS_VI
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(key, |(_, vi)| vi)
                .to_string(),
        }
    }

    /// The identifying cell of a total row.
    pub fn total(self) -> &'static str {
        match self {
            Lang::En => "Total",
            Lang::Vi => "Tổng cộng",
        }
    }
}

/// The Vietnamese header of every column a report download has, by field name.
const LABELS_VI: &[(&str, &str)] = &[
    // Row-identifying columns.
    ("unit_code", "Mã đơn vị"),
    ("unit_name", "Tên đơn vị"),
    ("procedure_code", "Mã thủ tục"),
    ("procedure_name", "Tên thủ tục"),
    ("field", "Lĩnh vực"),
    ("time_unit", "Đơn vị thời gian"),
    ("average_processing_time", "Thời gian giải quyết trung bình"),
    ("month", "Tháng"),
    ("from", "Từ ngày"),
    ("to", "Đến ngày"),
    ("value", "Giá trị"),
    // Indicators.
    ("key", "Mã chỉ số"),
    ("title", "Chỉ số"),
    ("group", "Nhóm"),
    ("numerator", "Tử số"),
    ("denominator", "Mẫu số"),
    ("rate", "Tỷ lệ (%)"),
    ("threshold", "Ngưỡng (%)"),
    ("max_points", "Điểm tối đa"),
    ("score", "Điểm"),
    // The figures.
    ("carried_over", "Kỳ trước chuyển qua"),
    ("received_online", "Tiếp nhận trực tuyến"),
    ("received_desk", "Tiếp nhận trực tiếp và bưu chính"),
    ("received", "Tổng tiếp nhận"),
    ("finished_early", "Giải quyết trước hạn"),
    ("finished_on_time", "Giải quyết đúng hạn"),
    ("finished_late", "Giải quyết quá hạn"),
    ("finished", "Tổng đã giải quyết"),
    ("open_in_time", "Đang giải quyết trong hạn"),
    ("open_overdue", "Đang giải quyết quá hạn"),
    ("open", "Tổng đang giải quyết"),
    ("awaiting_reception", "Chờ tiếp nhận"),
    (
        "awaiting_reception_overdue",
        "Chờ tiếp nhận quá 8 giờ làm việc",
    ),
    ("refused", "Từ chối tiếp nhận"),
    ("intake_online", "Tiếp nhận tại bộ phận một cửa: trực tuyến"),
    (
        "intake_desk",
        "Tiếp nhận tại bộ phận một cửa: trực tiếp, bưu chính",
    ),
    ("digitized_with_result", "Số hóa đầy đủ, có kết quả điện tử"),
    ("reused", "Tái sử dụng dữ liệu số hóa"),
    ("results_issued", "Kết quả điện tử đã cấp"),
    ("with_fee", "Hồ sơ có phí, lệ phí"),
    ("paid_online", "Thanh toán trực tuyến"),
    ("discount_vnd", "Phí, lệ phí được giảm (đồng)"),
    ("satisfied", "Hài lòng"),
    ("normal", "Bình thường"),
    ("dissatisfied", "Không hài lòng"),
    ("online_ratio", "Tỷ lệ trực tuyến (%)"),
    ("on_time_rate", "Tỷ lệ đúng hạn (%)"),
    ("late_rate", "Tỷ lệ trễ hạn (%)"),
    ("digitization_ratio", "Tỷ lệ số hóa (%)"),
    ("reuse_ratio", "Tỷ lệ tái sử dụng (%)"),
    ("electronic_results_ratio", "Tỷ lệ kết quả điện tử (%)"),
    ("online_payment_ratio", "Tỷ lệ thanh toán trực tuyến (%)"),
    ("satisfaction", "Mức độ hài lòng (%)"),
];

/// One cell of a download.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(u64),
    /// None is an empty cell: "not applicable".
    Number(Option<f64>),
}

impl Cell {
    /// The cell showing a JSON value; a missing or null value is empty.
    pub fn of(value: Option<&Value>) -> Cell {
        match value {
            None | Some(Value::Null) => Cell::Number(None),
            Some(Value::String(s)) => Cell::Text(s.clone()),
            Some(Value::Bool(b)) => Cell::Text(b.to_string()),
            Some(Value::Number(n)) => match n.as_u64() {
                Some(i) => Cell::Int(i),
                None => Cell::Number(n.as_f64()),
            },
            Some(other) => Cell::Text(other.to_string()),
        }
    }

    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Number(Some(n)) => n.to_string(),
            Cell::Number(None) => String::new(),
        }
    }
}

/// A report flattened into a header row and rows of cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A table being built from row views, each column one field of the view's JSON.
pub struct Builder<'a> {
    columns: &'a [&'a str],
    lang: Lang,
    rows: Vec<Vec<Cell>>,
}

impl<'a> Builder<'a> {
    pub fn new(columns: &'a [&'a str], lang: Lang) -> Self {
        Builder {
            columns,
            lang,
            rows: Vec::new(),
        }
    }

    /// Adds the row of a view, changed by `adjust` (given the view's JSON object) first.
    pub fn row<T: Serialize>(
        &mut self,
        view: &T,
        adjust: impl FnOnce(&mut serde_json::Map<String, Value>),
    ) -> Result<&mut Self, ApiError> {
        let mut json = match serde_json::to_value(view).map_err(ApiError::internal)? {
            Value::Object(map) => map,
            other => {
                let mut map = serde_json::Map::new();
                map.insert("value".into(), other);
                map
            }
        };
        adjust(&mut json);
        self.rows.push(
            self.columns
                .iter()
                .map(|c| Cell::of(json.get(*c)))
                .collect(),
        );
        Ok(self)
    }

    /// Adds a total row: the view's fields, with the total label in the first column.
    pub fn total<T: Serialize>(&mut self, view: &T) -> Result<&mut Self, ApiError> {
        let (first, label) = (self.columns.first().copied(), self.lang.total());
        self.row(view, |json| {
            if let Some(first) = first {
                json.insert(first.to_string(), Value::String(label.to_string()));
            }
        })
    }

    pub fn build(&mut self) -> Table {
        Table {
            headers: self.columns.iter().map(|c| self.lang.label(c)).collect(),
            rows: std::mem::take(&mut self.rows),
        }
    }
}

/// The table as CSV, UTF-8 with a byte order mark (so Excel reads Vietnamese text right).
pub fn to_csv(table: &Table) -> Result<Vec<u8>, ApiError> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer
            .write_record(&table.headers)
            .map_err(ApiError::internal)?;
        for row in &table.rows {
            writer
                .write_record(row.iter().map(Cell::text))
                .map_err(ApiError::internal)?;
        }
        writer.flush().map_err(ApiError::internal)?;
    }
    Ok(out)
}

/// The table as an XLSX workbook of one sheet, its header row bold and frozen.
pub fn to_xlsx(table: &Table, sheet_name: &str) -> Result<Vec<u8>, ApiError> {
    use rust_xlsxwriter::{Format as XlsxFormat, Workbook};
    let mut workbook = Workbook::new();
    let bold = XlsxFormat::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name).map_err(ApiError::internal)?;
    for (col, header) in table.headers.iter().enumerate() {
        let col = u16::try_from(col).map_err(ApiError::internal)?;
        sheet
            .write_string_with_format(0, col, header, &bold)
            .map_err(ApiError::internal)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = u32::try_from(r + 1).map_err(ApiError::internal)?;
        for (col, cell) in row.iter().enumerate() {
            let col = u16::try_from(col).map_err(ApiError::internal)?;
            match cell {
                Cell::Text(s) => sheet.write_string(r, col, s),
                Cell::Int(i) => sheet.write_number(r, col, *i as f64),
                Cell::Number(Some(n)) => sheet.write_number(r, col, *n),
                Cell::Number(None) => continue,
            }
            .map_err(ApiError::internal)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(ApiError::internal)?;
    workbook.save_to_buffer().map_err(ApiError::internal)
}

/// What a download is called: `<report>-<from>-<to>.<csv|xlsx>`.
pub struct Download<'a> {
    pub report: &'a str,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl<'a> Download<'a> {
    pub fn of(report: &'a str, (from, to): (NaiveDate, NaiveDate)) -> Download<'a> {
        Download { report, from, to }
    }
}

/// A report encoded in its format, ready to send. Reports are encoded where they are computed,
/// on a report thread ([`crate::state::AppState::report`]): encoding megabytes of JSON, CSV or
/// XLSX then holds no HTTP worker.
pub struct Rendered {
    content_type: &'static str,
    /// The file's name, for a download (CSV or XLSX).
    filename: Option<String>,
    body: Vec<u8>,
}

/// The bytes reserved per row for a report's JSON: a unit row of the figures takes about 850,
/// so most reports are written without growing the buffer.
const JSON_ROW_BYTES: usize = 1024;

/// Encodes a report: the view as JSON (`rows` is its number of rows, which sizes the buffer),
/// or its table (built only then) as a file.
pub fn render<T: Serialize>(
    format: Format,
    view: &T,
    rows: usize,
    download: Download<'_>,
    table: impl FnOnce() -> Result<Table, ApiError>,
) -> Result<Rendered, ApiError> {
    let (content_type, extension, body) = match format {
        Format::Json => {
            let mut body = Vec::with_capacity((rows + 4) * JSON_ROW_BYTES);
            serde_json::to_writer(&mut body, view).map_err(ApiError::internal)?;
            return Ok(Rendered {
                content_type: "application/json",
                filename: None,
                body,
            });
        }
        Format::Csv => ("text/csv; charset=utf-8", "csv", to_csv(&table()?)?),
        Format::Xlsx => (XLSX, "xlsx", to_xlsx(&table()?, download.report)?),
    };
    let filename = format!(
        "{}-{}-{}.{extension}",
        download.report, download.from, download.to
    );
    Ok(Rendered {
        content_type,
        filename: Some(filename),
        body,
    })
}

impl Rendered {
    pub fn response(self) -> HttpResponse {
        let mut response = HttpResponse::Ok();
        response.content_type(self.content_type);
        if let Some(filename) = self.filename {
            response.insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ));
        }
        response.body(self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_choose_a_format() {
        assert_eq!(Format::from_accept("text/csv"), Some(Format::Csv));
        assert_eq!(Format::from_accept(XLSX), Some(Format::Xlsx));
        assert_eq!(Format::from_accept("image/png"), None);
        assert_eq!(
            Format::from_accept("text/csv;q=0.5, application/json"),
            Some(Format::Json)
        );
        assert_eq!(
            Format::from_accept("image/png, text/csv"),
            Some(Format::Csv)
        );
        assert_eq!(Format::from_accept("*/*"), Some(Format::Json));
    }

    #[test]
    fn csv_has_a_bom_and_empty_cells_for_not_applicable() {
        let table = Table {
            headers: vec!["a".into(), "b, c".into()],
            rows: vec![vec![Cell::Int(1), Cell::Number(None)]],
        };
        let csv = to_csv(&table).unwrap();
        assert_eq!(csv, b"\xEF\xBB\xBFa,\"b, c\"\n1,\n");
        assert!(to_xlsx(&table, "units").unwrap().starts_with(b"PK"));
    }
}
