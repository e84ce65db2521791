"""Builds templates/default.pptx from python-pptx's own default template.

Run `python -m core.exporters.template_builder` after changing the look; the output is
committed so exports never depend on this code at run time. What it does: widescreen
16:9, a theme with Arial (LibreOffice substitutes the metric-compatible Liberation Sans)
and a navy/blue palette, larger readable text sizes, a thin accent bar on content
slides, dark title and section slides, and the layout names the exporter looks up.
"""

from __future__ import annotations

import copy
from pathlib import Path

from lxml import etree
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.oxml.ns import qn
from pptx.slide import SlideLayout
from pptx.util import Emu, Inches

OUT = Path(__file__).parent / "templates" / "default.pptx"

NAVY = "0F2A44"
ACCENT = "0F4C81"
INK = "1F2933"
MUTED = "52606D"
PALE = "D9E6F2"
FONT = "Arial"
WIDE = Emu(12192000)  # 13.333 in: 16:9 at the default 7.5 in height

PALETTE = {
    "dk1": INK, "lt1": "FFFFFF", "dk2": NAVY, "lt2": "EEF3F8",
    "accent1": ACCENT, "accent2": "2E8B57", "accent3": "D97706", "accent4": "7C3AED",
    "accent5": "0891B2", "accent6": "BE123C", "hlink": ACCENT, "folHlink": "6B21A8",
}  # fmt: skip

A = "http://schemas.openxmlformats.org/drawingml/2006/main"


def _theme(prs: Presentation) -> None:
    part = prs.slide_master.part.part_related_by(RT.THEME)
    root = etree.fromstring(part.blob)
    scheme = root.find(f".//{{{A}}}clrScheme")
    scheme.set("name", "Course Studio")
    for name, value in PALETTE.items():
        slot = scheme.find(f"{{{A}}}{name}")
        for child in list(slot):
            slot.remove(child)
        etree.SubElement(slot, f"{{{A}}}srgbClr", val=value)
    fonts = root.find(f".//{{{A}}}fontScheme")
    fonts.set("name", "Course Studio")
    for which in ("majorFont", "minorFont"):
        fonts.find(f"{{{A}}}{which}/{{{A}}}latin").set("typeface", FONT)
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _widen(prs: Presentation) -> None:
    factor = WIDE / prs.slide_width
    prs.slide_width = WIDE
    shapes = list(prs.slide_master.shapes)
    for layout in prs.slide_layouts:
        shapes += [s for s in layout.shapes if s.element.find(f".//{{{A}}}off") is not None]
    for shape in shapes:
        shape.left, shape.width = int(shape.left * factor), int(shape.width * factor)


def _run_props(lvl: etree._Element, size: float, color: str, bold: bool = False) -> None:
    rpr = lvl.find(qn("a:defRPr"))
    if rpr is None:
        rpr = etree.SubElement(lvl, qn("a:defRPr"))
    rpr.set("sz", str(int(size * 100)))
    rpr.set("b", "1" if bold else "0")
    for child in list(rpr):
        if child.tag == qn("a:solidFill"):
            rpr.remove(child)
    fill = etree.Element(qn("a:solidFill"))
    etree.SubElement(fill, qn("a:srgbClr"), val=color)
    rpr.insert(0, fill)


def _master_styles(prs: Presentation) -> None:
    styles = prs.slide_master.element.find(qn("p:txStyles"))
    _run_props(styles.find(f"{qn('p:titleStyle')}/{qn('a:lvl1pPr')}"), 32, NAVY, bold=True)
    body = styles.find(qn("p:bodyStyle"))
    for level, size in zip(range(1, 10), (22, 19, 17, 16, 16, 16, 16, 16, 16), strict=True):
        lvl = body.find(qn(f"a:lvl{level}pPr"))
        _run_props(lvl, size, INK if level == 1 else MUTED)
        bu_clr = lvl.find(qn("a:buClr"))
        if bu_clr is None:
            bu_clr = etree.Element(qn("a:buClr"))
            lvl.insert(0, bu_clr)
        for child in list(bu_clr):
            bu_clr.remove(child)
        etree.SubElement(bu_clr, qn("a:srgbClr"), val=ACCENT)
        pts = lvl.find(f"{qn('a:spcBef')}/{qn('a:spcPts')}")
        if pts is not None:
            pts.set("val", "900")  # 9 pt between bullets: airy but fits the bullet budget


def _placeholder_text(ph, size: float, color: str, *, bold: bool = False, align: str | None = None) -> None:
    txbody = ph.element.find(qn("p:txBody"))
    lst = txbody.find(qn("a:lstStyle"))
    for child in list(lst):
        lst.remove(child)
    lvl = etree.SubElement(lst, qn("a:lvl1pPr"))
    if align:
        lvl.set("algn", align)
    etree.SubElement(lvl, qn("a:buNone"))
    _run_props(lvl, size, color, bold)


def _place(ph, left: float, top: float, width: float, height: float) -> None:
    ph.left, ph.top, ph.width, ph.height = Inches(left), Inches(top), Inches(width), Inches(height)


def _layout(prs: Presentation, name: str) -> SlideLayout:
    return next(layout for layout in prs.slide_layouts if layout.name == name)


def _dark(layout: SlideLayout, color: str) -> None:
    layout.background.fill.solid()
    layout.background.fill.fore_color.rgb = RGBColor.from_string(color)
    layout.element.set("showMasterSp", "0")  # no accent bar on dark slides


def _accent_bar(prs: Presentation) -> None:
    # Masters have no add_shape: draw on a scratch slide, move the element, drop the slide.
    scratch = prs.slides.add_slide(_layout(prs, "Blank"))
    bar = scratch.shapes.add_shape(MSO_SHAPE.RECTANGLE, 0, 0, WIDE, Inches(0.14))
    bar.fill.solid()
    bar.fill.fore_color.rgb = RGBColor.from_string(ACCENT)
    bar.line.fill.background()
    bar.name = "Accent Bar"
    tree = prs.slide_master.shapes._spTree
    tree.insert(2, copy.deepcopy(bar.element))  # after nvGrpSpPr/grpSpPr: behind placeholders
    slide_ids = prs.slides._sldIdLst
    rel_id = slide_ids[-1].rId
    prs.part.drop_rel(rel_id)
    slide_ids.remove(slide_ids[-1])


def build(out: Path = OUT) -> Path:
    prs = Presentation()
    _widen(prs)
    _theme(prs)
    _master_styles(prs)
    _accent_bar(prs)

    title_slide = _layout(prs, "Title Slide")
    _dark(title_slide, NAVY)
    title, subtitle = title_slide.placeholders[0], title_slide.placeholders[1]
    _place(title, 0.9, 2.0, 11.5, 2.0)
    _place(subtitle, 0.9, 4.2, 11.5, 1.6)
    _placeholder_text(title, 40, "FFFFFF", bold=True, align="l")
    _placeholder_text(subtitle, 22, PALE, align="l")
    title.text_frame.vertical_anchor = MSO_ANCHOR.BOTTOM
    subtitle.text_frame.vertical_anchor = MSO_ANCHOR.TOP

    section = _layout(prs, "Section Header")
    _dark(section, ACCENT)
    title, body = section.placeholders[0], section.placeholders[1]
    _place(title, 0.9, 1.6, 11.5, 2.2)
    _place(body, 0.9, 4.0, 11.5, 2.4)
    _placeholder_text(title, 36, "FFFFFF", bold=True, align="l")
    _placeholder_text(body, 20, PALE, align="l")
    title.text_frame.vertical_anchor = MSO_ANCHOR.BOTTOM
    body.text_frame.vertical_anchor = MSO_ANCHOR.TOP

    content = _layout(prs, "Title and Content")
    title, body = content.placeholders[0], content.placeholders[1]
    _place(title, 0.6, 0.35, 12.1, 1.15)
    _place(body, 0.6, 1.65, 12.1, 5.2)
    title.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    for paragraph in title.text_frame.paragraphs:
        paragraph.alignment = PP_ALIGN.LEFT
    _placeholder_text(title, 30, NAVY, bold=True, align="l")

    prs.core_properties.title = "Course Studio default template"
    prs.core_properties.author = "Course Studio"
    out.parent.mkdir(parents=True, exist_ok=True)
    prs.save(str(out))
    return out


if __name__ == "__main__":
    print(build())
