//! Text in PNGs: the embedded font and a bitmap backend that places glyphs correctly.
//!
//! Owns: the font (DejaVu Sans compiled into the binary, registered with plotters once) and
//! `GlyphFix`, a workaround for plotters 0.3.7's ab_glyph renderer. Does not own: any figure
//! (`figures`) or the encoding of PNGs (`super::png_of`).
//!
//! Fonts: text is laid out and rasterised with ab_glyph from DejaVu Sans embedded in the binary
//! (assets/fonts), not from system font libraries, so a bare CI machine renders the same PNGs.
//! SVGs name the font family and leave the glyphs to the viewer.

use plotters::style::FontStyle;

pub static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
pub const FAMILY: &str = "sans-serif";

pub fn ensure_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The font is compiled in, so it cannot be missing; a failure would be a corrupt asset.
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .unwrap_or_else(|_| panic!("assets/fonts/DejaVuSans.ttf is not a valid font"));
    });
}

use plotters::prelude::DrawingBackend;
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// BitMapBackend with correct glyph placement. plotters 0.3.7's ab_glyph renderer draws each
/// glyph at the pen position without its left side bearing, so narrow letters collide ("cl"
/// reads "d"). Everything but text is delegated unchanged; text is laid out exactly as plotters
/// lays it out (same advance widths, kerning, anchor and rotation), only rasterised with the
/// bearing.
pub struct GlyphFix<DB>(pub DB);

impl<DB: DrawingBackend> DrawingBackend for GlyphFix<DB> {
    type ErrorType = DB::ErrorType;
    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.present()
    }
    fn draw_pixel(
        &mut self,
        p: BackendCoord,
        c: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_pixel(p, c)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        a: BackendCoord,
        b: BackendCoord,
        s: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_line(a, b, s)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        a: BackendCoord,
        b: BackendCoord,
        s: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_rect(a, b, s, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        s: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_path(path, s)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        c: BackendCoord,
        r: u32,
        s: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.draw_circle(c, r, s, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        v: I,
        s: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.fill_polygon(v, s)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.0.blit_bitmap(pos, size, src)
    }
    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        use ab_glyph::{Font, FontRef, ScaleFont};
        use plotters_backend::text_anchor::{HPos, VPos};
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        // The same box plotters computes, so anchoring matches the layout of the chart.
        let ((min_x, min_y), (max_x, max_y)) = style
            .layout_box(text)
            .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let trans = style.transform();
        let (w, h) = self.get_size();
        let font = FontRef::try_from_slice(FONT).expect("the embedded font parses");
        let size = style.size() as f32;
        let scaled = font.as_scaled(size);
        let mut pen = 0f32;
        let mut prev = None;
        for ch in text.chars() {
            let id = scaled.glyph_id(ch);
            if let Some(p) = prev {
                pen += scaled.kern(p, id);
            }
            prev = Some(id);
            let glyph = id.with_scale_and_position(size, ab_glyph::point(0.0, 0.0));
            if let Some(q) = scaled.outline_glyph(glyph) {
                let r = q.px_bounds();
                // plotters' vertical placement (baseline at half the size), plus the bearing.
                let (gx, gy) = ((pen + r.min.x) as i32, (size / 2.0 + r.min.y) as i32);
                let mut px = Vec::new();
                q.draw(|x, y, a| px.push((x as i32 + gx, y as i32 + gy, a)));
                for (x, y, a) in px {
                    let (x, y) = trans.transform(x + dx - min_x, y + dy - min_y);
                    let (x, y) = (pos.0 + x, pos.1 + y);
                    if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                        let c = BackendColor {
                            alpha: color.alpha * a as f64,
                            rgb: color.rgb,
                        };
                        self.0.draw_pixel((x, y), c)?;
                    }
                }
            }
            pen += scaled.h_advance(id);
        }
        Ok(())
    }
}
