#include "pdf/export_pdf.h"

#include <algorithm>

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

namespace oep {
namespace {

constexpr double kPageWidth = 595.28, kPageHeight = 841.89;  // A4 in points
constexpr double kMargin = 48, kFooter = 30;
constexpr double kTextWidth = kPageWidth - 2 * kMargin;
constexpr size_t kMaxCellBytes = 400;

cairo_status_t AppendBytes(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

std::string CutCell(const std::string& s) {
  if (s.size() <= kMaxCellBytes) return s;
  size_t n = kMaxCellBytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "…";
}

// Lays the report out twice: once without drawing to count the pages, then drawing.
class Layout {
 public:
  Layout(cairo_t* cr, bool draw, int total_pages, const ExportReport& report, std::string digest)
      : cr_(cr), draw_(draw), total_(total_pages), report_(report), digest_(std::move(digest)) {
    layout_ = pango_cairo_create_layout(cr_);
    // Wrapping inside ids, digests and JSON must not add hyphens that are not in the text.
    PangoAttrList* attrs = pango_attr_list_new();
    pango_attr_list_insert(attrs, pango_attr_insert_hyphens_new(FALSE));
    pango_layout_set_attributes(layout_, attrs);
    pango_attr_list_unref(attrs);
  }
  ~Layout() {
    g_object_unref(layout_);
    for (auto* f : fonts_) pango_font_description_free(f);
  }
  Layout(const Layout&) = delete;
  Layout& operator=(const Layout&) = delete;

  int Run() {
    StartPage();
    Text(report_.title, Font("DejaVu Sans Bold 15"), kTextWidth);
    y_ += 6;
    Text(report_.notice, Font("DejaVu Sans Oblique 10"), kTextWidth);
    y_ += 10;
    for (size_t i = 0; i < report_.sections.size(); ++i) {
      if (i == 1) NewPage();  // the summary alone on the title page
      Section(report_.sections[i]);
    }
    Footer();
    return page_;
  }

 private:
  PangoFontDescription* Font(const char* spec) {
    fonts_.push_back(pango_font_description_from_string(spec));
    return fonts_.back();
  }

  // Sets the layout's text and returns its height in points.
  double Prepare(const std::string& text, PangoFontDescription* font, double width, bool mono = false) {
    pango_layout_set_font_description(layout_, font);
    pango_layout_set_width(layout_, static_cast<int>(width * PANGO_SCALE));
    pango_layout_set_wrap(layout_, mono ? PANGO_WRAP_CHAR : PANGO_WRAP_WORD_CHAR);
    pango_layout_set_text(layout_, text.c_str(), static_cast<int>(text.size()));
    int w = 0, h = 0;
    pango_layout_get_size(layout_, &w, &h);
    return static_cast<double>(h) / PANGO_SCALE;
  }

  void ShowAt(double x, double y) {
    if (!draw_) return;
    cairo_move_to(cr_, x, y);
    pango_cairo_show_layout(cr_, layout_);
  }

  void Fits(double h) {
    if (y_ + h > kPageHeight - kMargin - kFooter && y_ > kMargin + 1) NewPage();
  }

  void Text(const std::string& text, PangoFontDescription* font, double width, double x = kMargin, bool mono = false) {
    double h = Prepare(text, font, width, mono);
    Fits(h);
    Prepare(text, font, width, mono);
    ShowAt(x, y_);
    y_ += h + 3;
  }

  void Section(const ReportSection& s) {
    y_ += 8;
    Fits(100);  // a heading keeps about a table header and two rows with it
    Text(s.heading, Font("DejaVu Sans Bold 13"), kTextWidth);
    PangoFontDescription* label = Font("DejaVu Sans Bold 9");
    PangoFontDescription* body = Font("DejaVu Sans 9");
    for (const auto& [k, v] : s.fields) {
      double hv = Prepare(v, body, kTextWidth - 120);
      Fits(hv);
      Prepare(k, label, 115);
      ShowAt(kMargin, y_);
      Prepare(v, body, kTextWidth - 120);
      ShowAt(kMargin + 120, y_);
      y_ += hv + 2;
    }
    if (!s.header.empty() && !s.rows.empty()) Table(s);
    for (const auto& p : s.paragraphs) Text(p, body, kTextWidth);
    PangoFontDescription* mono = Font("DejaVu Sans Mono 7");
    for (const auto& p : s.payloads) {
      std::string head = p.label + "  " + p.digest + ", " + std::to_string(p.size) + " bytes" +
                         (p.truncated ? ", cut to the first " + std::to_string(p.text.size()) + " (the digest covers all)" : "");
      std::string body_text = p.text + (p.truncated ? " …" : "");
      // A payload's heading stays on the page of its text.
      Fits(Prepare(head, label, kTextWidth) + Prepare(body_text, mono, kTextWidth - 10, true) + 6);
      Text(head, label, kTextWidth);
      Text(body_text, mono, kTextWidth - 10, kMargin + 10, true);
      y_ += 3;
    }
  }

  // The width `text` takes on one line.
  double NaturalWidth(const std::string& text, PangoFontDescription* font) {
    pango_layout_set_font_description(layout_, font);
    pango_layout_set_width(layout_, -1);
    pango_layout_set_text(layout_, text.c_str(), static_cast<int>(text.size()));
    int w = 0, h = 0;
    pango_layout_get_size(layout_, &w, &h);
    return static_cast<double>(w) / PANGO_SCALE + 6;
  }

  // Columns get their natural width when all fit; else the narrow ones keep theirs and
  // the wide ones share what is left in proportion to theirs.
  std::vector<double> ColumnWidths(const ReportSection& s, PangoFontDescription* head, PangoFontDescription* cell) {
    size_t n = s.header.size();
    std::vector<double> want(n, 0);
    for (size_t c = 0; c < n; ++c) {
      want[c] = NaturalWidth(s.header[c], head);
      for (const auto& row : s.rows) {
        if (c < row.size()) want[c] = std::max(want[c], NaturalWidth(CutCell(row[c]), cell));
      }
      want[c] = std::min(want[c], kTextWidth * 0.45);
    }
    std::vector<bool> fixed(n, false);
    for (bool changed = true; changed;) {
      changed = false;
      double free_width = kTextWidth;
      for (size_t c = 0; c < n; ++c) {
        if (fixed[c]) free_width -= want[c];
      }
      size_t open = 0;
      for (size_t c = 0; c < n; ++c) open += !fixed[c];
      if (open == 0) break;
      for (size_t c = 0; c < n; ++c) {
        if (!fixed[c] && want[c] <= free_width / static_cast<double>(open)) fixed[c] = changed = true;
      }
    }
    double fixed_sum = 0, open_sum = 0;
    for (size_t c = 0; c < n; ++c) (fixed[c] ? fixed_sum : open_sum) += want[c];
    std::vector<double> width(n);
    for (size_t c = 0; c < n; ++c) {
      width[c] = fixed[c] || open_sum <= 0 ? want[c] : (kTextWidth - fixed_sum) * want[c] / open_sum;
    }
    double sum = 0;
    for (double w : width) sum += w;
    for (double& w : width) w *= kTextWidth / sum;  // stretch (or shrink) to the text width
    return width;
  }

  void Table(const ReportSection& s) {
    PangoFontDescription* head = Font("DejaVu Sans Bold 8");
    PangoFontDescription* cell = Font("DejaVu Sans 8");
    std::vector<double> width = ColumnWidths(s, head, cell);
    Fits(RowHeight(s.header, width, head) + RowHeight(s.rows[0], width, cell) + 4);  // no header alone at a page's foot
    Row(s.header, width, head);
    for (const auto& row : s.rows) Row(row, width, cell);
    y_ += 4;
  }

  double RowHeight(const std::vector<std::string>& cells, const std::vector<double>& width, PangoFontDescription* font) {
    double h = 0;
    for (size_t c = 0; c < width.size(); ++c) {
      h = std::max(h, Prepare(CutCell(c < cells.size() ? cells[c] : ""), font, width[c] - 4));
    }
    return h;
  }

  void Row(const std::vector<std::string>& cells, const std::vector<double>& width, PangoFontDescription* font) {
    double h = RowHeight(cells, width, font);
    Fits(h + 2);
    double x = kMargin;
    for (size_t c = 0; c < width.size(); ++c) {
      Prepare(CutCell(c < cells.size() ? cells[c] : ""), font, width[c] - 4);
      ShowAt(x, y_);
      x += width[c];
    }
    y_ += h + 2;
    if (draw_) {
      cairo_set_source_rgb(cr_, 0.8, 0.8, 0.8);
      cairo_set_line_width(cr_, 0.4);
      cairo_move_to(cr_, kMargin, y_ - 1);
      cairo_line_to(cr_, kMargin + kTextWidth, y_ - 1);
      cairo_stroke(cr_);
      cairo_set_source_rgb(cr_, 0, 0, 0);
    }
  }

  void StartPage() {
    ++page_;
    y_ = kMargin;
  }

  void Footer() {
    std::string text = "oep evidence support · audit aid · non-certifying · export " + digest_.substr(0, 23) + "…   Page " +
                       std::to_string(page_) + " of " + std::to_string(total_);
    Prepare(text, Font("DejaVu Sans 7"), kTextWidth);
    ShowAt(kMargin, kPageHeight - kMargin + 6);
  }

  void NewPage() {
    Footer();
    if (draw_) cairo_show_page(cr_);
    StartPage();
  }

  cairo_t* cr_;
  bool draw_;
  int total_;
  const ExportReport& report_;
  std::string digest_;
  PangoLayout* layout_;
  std::vector<PangoFontDescription*> fonts_;
  int page_ = 0;
  double y_ = kMargin;
};

}  // namespace

Result<std::string> RenderExportPdf(const ExportReport& report, const std::string& digest, const std::string& created_at) {
  std::string out;
  cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(AppendBytes, &out, kPageWidth, kPageHeight);
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, report.title.c_str());
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "oep");
  // "YYYY-MM-DDTHH:MM:SS" of the export's generated_at, so one export gives one PDF.
  std::string date = created_at.substr(0, 19);
  if (!date.empty()) cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, date.c_str());
  cairo_t* cr = cairo_create(surface);
  int pages = 0;
  {
    Layout dry(cr, false, 0, report, digest);
    pages = dry.Run();
  }
  {
    Layout real(cr, true, pages, report, digest);
    real.Run();
  }
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  cairo_status_t status = cairo_surface_status(surface);
  cairo_surface_destroy(surface);
  if (status != CAIRO_STATUS_SUCCESS) return Status::IOError(std::string("cairo: ") + cairo_status_to_string(status));
  return out;
}

}  // namespace oep
