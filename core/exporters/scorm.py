"""SCORM 1.2 export: the HTML course as one SCO, with imsmanifest.xml at the ZIP root.

Layout: `index.html` is the SCO launch page, a shell that finds the LMS API
(window.API up the parent/opener chain), calls LMSInitialize once, and frames the course
pages under `course/`. Each course page loads `progress.js`, which tells the shell which
page is open; reaching the last lesson sets cmi.core.lesson_status to "completed". The
shell commits and calls LMSFinish when it unloads. Every script is a local file in the
package: no remote scripts, no inline script, and the pages' CSP says so too.

The ADL/IMS XSD files are not bundled (no network to fetch them here); LMSes we know of
accept a manifest that names its schemas without shipping them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.exporters.document import CourseExport
from core.exporters.html import build_site
from core.exporters.render import escape_text
from core.exporters.zipping import make_zip

TEMPLATE_DIR = Path(__file__).parent / "templates" / "scorm"
CONTENT_DIR = "course"
LAUNCH = "index.html"

NS_CP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
NS_ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = (
    "http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd "
    "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd "
    "http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd"
)

ET.register_namespace("", NS_CP)
ET.register_namespace("adlcp", NS_ADLCP)
ET.register_namespace("xsi", NS_XSI)


def _cp(tag: str) -> str:
    return f"{{{NS_CP}}}{tag}"


def manifest_xml(doc: CourseExport, files: list[str]) -> bytes:
    """imsmanifest.xml: one organization, one item, one SCO resource listing every file."""
    ident = f"course-studio-{doc.course.id}" if doc.course.id is not None else "course-studio"
    root = ET.Element(
        _cp("manifest"),
        {"identifier": ident, "version": "1.0", f"{{{NS_XSI}}}schemaLocation": SCHEMA_LOCATION},
    )
    metadata = ET.SubElement(root, _cp("metadata"))
    ET.SubElement(metadata, _cp("schema")).text = "ADL SCORM"
    ET.SubElement(metadata, _cp("schemaversion")).text = "1.2"

    organizations = ET.SubElement(root, _cp("organizations"), {"default": "org-1"})
    organization = ET.SubElement(organizations, _cp("organization"), {"identifier": "org-1"})
    ET.SubElement(organization, _cp("title")).text = doc.course.title
    item = ET.SubElement(
        organization, _cp("item"), {"identifier": "item-1", "identifierref": "sco-1", "isvisible": "true"}
    )
    ET.SubElement(item, _cp("title")).text = doc.course.title

    resources = ET.SubElement(root, _cp("resources"))
    resource = ET.SubElement(
        resources,
        _cp("resource"),
        {"identifier": "sco-1", "type": "webcontent", f"{{{NS_ADLCP}}}scormtype": "sco", "href": LAUNCH},
    )
    for name in files:
        ET.SubElement(resource, _cp("file"), {"href": name})
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def build_package(doc: CourseExport) -> dict[str, bytes]:
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(default=True))
    files: dict[str, bytes] = {
        LAUNCH: env.get_template("index.html.j2")
        .render(lang=escape_text(doc.course.language), title=doc.course.title)
        .encode("utf-8"),
        "sco.js": (TEMPLATE_DIR / "sco.js").read_bytes(),
    }
    for name, data in build_site(doc, scorm=True).items():
        files[f"{CONTENT_DIR}/{name}"] = data
    files[f"{CONTENT_DIR}/progress.js"] = (TEMPLATE_DIR / "progress.js").read_bytes()
    return {"imsmanifest.xml": manifest_xml(doc, list(files)), **files}


def export_scorm(doc: CourseExport) -> bytes:
    return make_zip(build_package(doc))
