"""Regenerate the bundled sample applicant files (run from the repository root).

    .venv/bin/python resources/samples/make_samples.py

Every applicant is fictional. Aadhaar numbers are public test vectors (234123412346,
999941057058, 999971658847) or numbers made here with our own Verhoeff code; PANs and
GSTINs follow the format rules and check characters; mobiles and emails are unique.
"""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from desktop_app.core.identifiers import aadhaar_check_digit, gstin_check_character
from desktop_app.core.template import write_template
from desktop_app.core.validation import COLUMNS

HERE = Path(__file__).resolve().parent
DOCS = HERE / "docs"


def aadhaar(first11: str) -> str:
    return first11 + aadhaar_check_digit(first11)


def gstin(state: str, pan: str) -> str:
    first14 = f"{state}{pan}1Z"
    return first14 + gstin_check_character(first14)


COMMON = {"Consent given": "Yes", "Consent by": "Priya (front desk)"}

APPLICANTS: list[dict[str, str]] = [
    {  # DSC, Aadhaar eKYC route
        "Services": "DSC",
        "Name as per Aadhaar": "Senthil Kumar Raghavan",
        "Name as per PAN": "SENTHIL KUMAR RAGHAVAN",
        "Date of Birth": "14/08/1986",
        "Gender": "Male",
        "PAN": "BKRPR4521K",
        "Aadhaar": "2341 2341 2346",
        "Mobile": "9840012345",
        "Email": "senthil.raghavan@example.in",
        "Flat / Door No": "14",
        "Road / Street": "South Main Street",
        "City": "Thanjavur",
        "PIN Code": "613001",
        "State": "Tamil Nadu",
        "District": "Thanjavur",
        "DSC KYC Route": "Aadhaar",
        "DSC Certificate Type": "Signature",
        "DSC Validity Years": "2",
        "DSC Username": "senthil86",
        "DSC PIN": "482915",
    },
    {  # DSC, PAN route with documents next to the file
        "Services": "DSC",
        "Name as per Aadhaar": "Arjun Vilas Deshmukh",
        "Name as per PAN": "Arjun Vilas Deshmukh",
        "Date of Birth": "02/03/1979",
        "Gender": "Male",
        "PAN": "CDKPD7310M",
        "Aadhaar": "9999 4105 7058",
        "Mobile": "+91 94220 67890",
        "Email": "arjun.deshmukh@example.in",
        "City": "Pune",
        "PIN Code": "411004",
        "State": "Maharashtra",
        "District": "Pune",
        "DSC KYC Route": "PAN",
        "DSC Certificate Type": "Combo",
        "DSC Validity Years": "3",
        "PAN Copy File": "docs/arjun_pan.pdf",
        "Address Proof File": "docs/arjun_address.pdf",
        "Photo File": "docs/arjun_photo.jpg",
    },
    {  # Udyam, proprietary bakery
        "Services": "Udyam",
        "Name as per Aadhaar": "Meena Subramanian",
        "Name as per PAN": "Meena Subramanian",
        "Date of Birth": "21/11/1990",
        "Gender": "Female",
        "PAN": "EFGPS2345L",
        "Aadhaar": "9999 7165 8847",
        "Mobile": "9880123456",
        "Email": "meena.bakes@example.in",
        "Flat / Door No": "3",
        "Building": "Sri Lakshmi Complex",
        "Road / Street": "80 Feet Road",
        "Village / Town": "Indiranagar",
        "City": "Bengaluru",
        "PIN Code": "560038",
        "State": "Karnataka",
        "District": "Bengaluru Urban",
        "Organisation Type": "Proprietary",
        "Enterprise Name": "Meena Home Bakers",
        "Social Category": "OBC",
        "Date of Incorporation": "01/06/2021",
        "Bank Name": "Canara Bank",
        "IFSC": "CNRB0001234",
        "Account Number": "1234101056789",
        "Major Activity": "Manufacturing",
        "NIC Codes": "10712",
        "Employees Female": "3",
        "Investment WDV": "350000",
        "Turnover Total": "1250000",
        "Has GSTIN": "No",
    },
    {  # Udyam, partnership firm: the firm's PAN (F) and GSTIN
        "Services": "Udyam",
        "Name as per Aadhaar": "Ravindra Sharma",
        "Name as per PAN": "SHARMA WOOD WORKS",
        "Date of Birth": "09/01/1972",
        "Gender": "Male",
        "PAN": "ABCFS6789Q",
        "Aadhaar": aadhaar("48215937604"),
        "Mobile": "9823045678",
        "Email": "sharmawoodworks@example.in",
        "Flat / Door No": "Plot 22",
        "Road / Street": "MIDC Bhosari",
        "City": "Pune",
        "PIN Code": "411026",
        "State": "Maharashtra",
        "District": "Pune",
        "Organisation Type": "Partnership",
        "Enterprise Name": "Sharma Wood Works",
        "Date of Incorporation": "15/07/2012",
        "Bank Name": "Bank of Maharashtra",
        "IFSC": "MAHB0000456",
        "Account Number": "60123456789",
        "Major Activity": "Manufacturing",
        "NIC Codes": "31001",
        "Employees Male": "8",
        "Employees Female": "2",
        "Investment WDV": "2400000",
        "Turnover Total": "9800000",
        "ITR Filed": "Yes",
        "Has GSTIN": "Yes",
        "GSTIN": gstin("27", "ABCFS6789Q"),
    },
    {  # Udyam, private limited company: company PAN (C) and GSTIN
        "Services": "Udyam",
        "Name as per Aadhaar": "Karthik Balasubramanian",
        "Name as per PAN": "NILGIRI SOFTWARE SOLUTIONS PRIVATE LIMITED",
        "Date of Birth": "30/05/1988",
        "Gender": "Male",
        "PAN": "AADCN4567H",
        "Aadhaar": aadhaar("73920418256"),
        "Mobile": "9894056789",
        "Email": "accounts@nilgirisoft.example.in",
        "Flat / Door No": "5th Floor",
        "Building": "Tidel Park Annexe",
        "Road / Street": "Avinashi Road",
        "City": "Coimbatore",
        "PIN Code": "641014",
        "State": "Tamil Nadu",
        "District": "Coimbatore",
        "Organisation Type": "Private Limited Company",
        "Enterprise Name": "Nilgiri Software Solutions Private Limited",
        "Date of Incorporation": "2018-09-10",
        "Bank Name": "Indian Bank",
        "IFSC": "IDIB000C012",
        "Account Number": "6543210987",
        "Major Activity": "Services",
        "Services Type": "Non-Trading",
        "NIC Codes": "62011, 62013",
        "Employees Male": "14",
        "Employees Female": "11",
        "Investment WDV": "1500000",
        "Turnover Total": "32000000",
        "Turnover Export": "4000000",
        "ITR Filed": "Yes",
        "Has GSTIN": "Yes",
        "GSTIN": gstin("33", "AADCN4567H"),
        "Interested in GeM": "Yes",
    },
    {  # Both services: a proprietor who needs a DSC and Udyam
        "Services": "DSC + Udyam",
        "Name as per Aadhaar": "Fatima Irfan Shaikh",
        "Name as per PAN": "FATIMA IRFAN SHAIKH",
        "Date of Birth": "17/04/1984",
        "Gender": "Female",
        "PAN": "GHJPS8642D",
        "Aadhaar": aadhaar("56473829105"),
        "Mobile": "9769012345",
        "Email": "fatima.provisions@example.in",
        "Flat / Door No": "Shop 4",
        "Building": "Noor Manzil",
        "Road / Street": "Mohammed Ali Road",
        "City": "Mumbai",
        "PIN Code": "400003",
        "State": "Maharashtra",
        "District": "Mumbai",
        "DSC KYC Route": "Aadhaar",
        "DSC Username": "fatimashaikh",
        "Organisation Type": "Proprietary",
        "Enterprise Name": "Fatima Provision Stores",
        "Social Category": "General",
        "Date of Incorporation": "01/04/2016",
        "Bank Name": "State Bank of India",
        "IFSC": "SBIN0040278",
        "Account Number": "32145678901",
        "Major Activity": "Services",
        "Services Type": "Trading",
        "NIC Codes": "47211",
        "Employees Female": "1",
        "Employees Male": "1",
        "Investment WDV": "200000",
        "Turnover Total": "2600000",
        "Has GSTIN": "Yes",
        "GSTIN": gstin("27", "GHJPS8642D"),
    },
    {  # DSC, Aadhaar route, Uttar Pradesh
        "Services": "DSC",
        "Name as per Aadhaar": "Rajesh Kumar Yadav",
        "Name as per PAN": "R K Yadav",
        "Date of Birth": "05/12/1975",
        "Gender": "Male",
        "PAN": "HJKPY1357C",
        "Aadhaar": aadhaar("61827364519"),
        "Mobile": "9415098765",
        "Email": "rk.yadav@example.in",
        "City": "Lucknow",
        "PIN Code": "226010",
        "State": "Uttar Pradesh",
        "District": "Lucknow",
        "DSC Certificate Type": "Signature",
    },
]


def write_docs() -> None:
    DOCS.mkdir(exist_ok=True)
    for name, title in (
        ("arjun_pan.pdf", "PAN copy"),
        ("arjun_address.pdf", "Address"),
    ):
        (DOCS / name).write_bytes(tiny_pdf(f"Sample {title} (fictional)"))
    # The photo is made with Qt (a dependency already) so it is a real JPEG.
    from PySide6.QtGui import QColor, QImage

    image = QImage(16, 20, QImage.Format.Format_RGB32)
    image.fill(QColor(214, 190, 160))
    if not image.save(str(DOCS / "arjun_photo.jpg"), "JPG", 80):
        raise SystemExit("could not write the sample photo")


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 20 60 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100] "
        b"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def rows() -> list[dict[str, str]]:
    return [{**COMMON, **applicant} for applicant in APPLICANTS]


def write_xlsx() -> None:
    with tempfile.TemporaryDirectory() as folder:
        template = write_template(Path(folder) / "template.xlsx")
        workbook = load_workbook(template)
    sheet = workbook["Applicants"]
    headers = [column.header for column in COLUMNS]
    for row in rows():
        sheet.append([row.get(header, "") or None for header in headers])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if COLUMNS[cell.column - 1].text:
                cell.number_format = "@"
    workbook.save(HERE / "applicants.xlsx")


def write_csv() -> None:
    used = [c.header for c in COLUMNS if any(c.header in row for row in rows())]
    with (HERE / "applicants.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=used)
        writer.writeheader()
        writer.writerows(rows())


def write_json() -> None:
    items: list[dict[str, object]] = [dict(row) for row in rows()]
    # The same people, and one request in the shape of the office's old web API.
    (HERE / "applicants.json").write_text(
        json.dumps(items, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    old_api = {
        "result": {
            "payload": {"filing_type": "Aadhaar", "certificate_type": "Signature"}
        },
        "people_data": {
            "aadhaar": aadhaar("83746152903"),
            "mobile": "9003123456",
            "pan": "JKLPN2468E",
            "pan_name": "Nandini Iyer",
            "name": "Nandini Iyer",
            "dob": "1992-07-23",
            "gender": "Female",
            "email": "nandini.iyer@example.in",
            "desired_pin": "731904",
        },
    }
    (HERE / "old_api_request.json").write_text(
        json.dumps(old_api, indent=2) + "\n", encoding="utf-8"
    )


ERROR_ROWS: list[dict[str, str]] = [
    # 2: fine, so the preview shows a mix
    {
        "Services": "DSC",
        "Name as per Aadhaar": "Divya Menon",
        "Name as per PAN": "Divya Menon",
        "Date of Birth": "12/02/1991",
        "Gender": "Female",
        "PAN": "KLMPM1122A",
        "Aadhaar": aadhaar("39182746501"),
        "Mobile": "9447011223",
        "Email": "divya.menon@example.in",
    },
    # 3: Aadhaar check digit wrong
    {
        "Services": "DSC",
        "Name as per Aadhaar": "Suresh Patil",
        "Name as per PAN": "Suresh Patil",
        "Date of Birth": "01/01/1980",
        "Gender": "Male",
        "PAN": "MNOPP3344B",
        "Aadhaar": "234123412347",
        "Mobile": "9822033445",
        "Email": "suresh.patil@example.in",
    },
    # 4: Aadhaar mangled by Excel, PAN too short
    {
        "Services": "DSC",
        "Name as per Aadhaar": "Anita Das",
        "Name as per PAN": "Anita Das",
        "Date of Birth": "5/9/1987",
        "Gender": "Female",
        "PAN": "PQRPD556",
        "Aadhaar": "2.34123E+11",
        "Mobile": "9830044556",
        "Email": "anita.das@example.in",
    },
    # 5: reuses row 2's mobile with a different PAN; impossible date
    {
        "Services": "DSC",
        "Name as per Aadhaar": "Manoj Verma",
        "Name as per PAN": "Manoj Verma",
        "Date of Birth": "31/02/1990",
        "Gender": "Male",
        "PAN": "STUPV7788C",
        "Aadhaar": aadhaar("52637481920"),
        "Mobile": "+91 94470 11223",
        "Email": "manoj.verma@example.in",
    },
    # 6: Udyam partnership with an individual's PAN and a GSTIN of someone else
    {
        "Services": "Udyam",
        "Name as per Aadhaar": "Harpreet Singh",
        "Name as per PAN": "Harpreet Singh",
        "Date of Birth": "19/06/1970",
        "Gender": "Male",
        "PAN": "VWXPS9900D",
        "Aadhaar": aadhaar("67281930456"),
        "Mobile": "9815066778",
        "Email": "harpreet@example.in",
        "Organisation Type": "Partnership",
        "Enterprise Name": "Singh Auto Parts",
        "Date of Incorporation": "01/04/2015",
        "Bank Name": "Punjab National Bank",
        "IFSC": "PUNB0123400",
        "Account Number": "0123456789012",
        "NIC Codes": "45300",
        "PIN Code": "141001",
        "State": "Punjab",
        "District": "Ludhiana",
        "GSTIN": gstin("03", "ABCFS6789Q"),
    },
    # 7: names differ between Aadhaar and PAN (a warning), mobile not Indian
    {
        "Services": "DSC",
        "Name as per Aadhaar": "Sunita Kumari Rao",
        "Name as per PAN": "Sunita Reddy",
        "Date of Birth": "22/10/1983",
        "Gender": "F",
        "PAN": "YZAPR2211E",
        "Aadhaar": aadhaar("74839201563"),
        "Mobile": "5876543210",
        "Email": "sunita.rao@example.in",
    },
    # 8: the same PAN as row 2 asking for a DSC again; email missing
    {
        "Services": "DSC",
        "Name as per Aadhaar": "Divya Menon",
        "Name as per PAN": "Divya Menon",
        "Date of Birth": "12/02/1991",
        "Gender": "Female",
        "PAN": "KLMPM1122A",
        "Aadhaar": aadhaar("39182746501"),
        "Mobile": "9447011223",
        "Email": "",
    },
]


def write_error_csv() -> None:
    headers = [
        "Services",
        "Name as per Aadhaar",
        "Name as per PAN",
        "Date of Birth",
        "Gender",
        "PAN",
        "Aadhaar",
        "Mobile",
        "Email",
        "Organisation Type",
        "Enterprise Name",
        "Date of Incorporation",
        "Bank Name",
        "IFSC",
        "Account Number",
        "NIC Codes",
        "PIN Code",
        "State",
        "District",
        "GSTIN",
        "Favourite Colour",
    ]
    path = HERE / "applicants_with_errors.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=headers)
        writer.writeheader()
        writer.writerows(ERROR_ROWS)


if __name__ == "__main__":
    write_docs()
    write_xlsx()
    write_csv()
    write_json()
    write_error_csv()
