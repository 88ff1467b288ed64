"""Download the held-out camera photos that ``render_vs_vips.py`` is measured on, and check them.

25 camera JPEGs of 8-22 MP from drewnoakes/metadata-extractor-images, pinned to one commit and
checked by SHA-256 ("You are free to use these media files however you wish", its README). None
of them was used while tuning the engine. They are too large for this repository (70 MB), so
they are fetched on demand:

    .venv/bin/python benchmarks/held_out_photos.py benchmarks/photos
    make bench PHOTOS=benchmarks/photos
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import urllib.parse
import urllib.request
from pathlib import Path

REPOSITORY = "drewnoakes/metadata-extractor-images"
COMMIT = "4beba640487802442bc9931fb01274e908102d3a"
BASE_URL = f"https://raw.githubusercontent.com/{REPOSITORY}/{COMMIT}/jpg/"
PHOTOS = {
    "Canon EOS 1000D.jpg": "e254d1578ba64acb8904851c8c120d1ea47faf35321ff21f4564482723991e4b",
    "Canon EOS 20D (1).jpg": "d0a3cab9e4fd76ebdeb951864a5ce900138a8b0284b3d0036bd1d039f1a29b31",
    "Canon EOS 20D (2).jpg": "873e1bfb0eca0f640970fbbccb135e72de4299274e7cd29d0a27a3d29b19fcb4",
    "Canon EOS 20D (3).jpg": "b4d61efb9ed6daa89714fe0d54d4b2b3f0e66e153a5b926a058ced23bc9afd7c",
    "Canon EOS 30D (4).jpg": "ba9c8322139e0a57d4a88c1921e915257f95a588567a4574e1aa7f41f7088c15",
    "Canon EOS 450D.jpg": "29011caef548efdc895f34cb873f8efb209421b1fc8a7b6c4b058d381ebb98b9",
    "Canon EOS-1DS (after Noise Ninja).jpg": "659e0fbbfdf5403e6cf172b20ece3215338227f8f361b9780640dcf1c9de1e46",
    "Canon PowerShot G11.jpg": "e3953f4f9da87a64df96f3ff424ae6d719c27b29357a9c021eb9692a97b09a60",
    "Canon Powershot A2500.JPG": "f3d0474b5f9dfd084f411488a946e94542558c49b2dc50924d096d83430bc71e",
    "Canon Powershot S90.jpg": "879f89a54ef83014c6a5e99b36579acfab18b78811ab41e076a9bebdbc2f35da",
    "FujiFilm FinePix F40fd.jpg": "a02559e024a38f49636bb04dac3bdb34b41960c9f692e1057aaf3521d3708fef",
    "Issue 266.jpg": "24d39886684681219b7a35978e27b89a4740e131caa12b948b5fd9114349c970",
    "Issue 525.jpg": "53625773dfd13070304549ec09cbdff5997f6700d9cfe4803d4c1702deab027f",
    "Kodak Easyshare M5370.jpg": "7b7164074e3bafdf8735e628710e45f62dff92d2c726c2e8aaf2503eed39129a",
    "Kodak PIXPRO AZ521.jpg": "6919ff3477922c11232ab90ceee6f334d2f2ed00856016e27e765a077d788883",
    "Kodak PIXPRO S-1.jpg": "47fb9b22a091211a279ed85815ad4cc1dfd9da81b9f0e8579a7711d627d2ab28",
    "Kodak PIXPRO SP360.jpg": "087fe5fe0baf59b6969f02d1652a9f166bf36ff6ab385eecd0867e2f379fef84",
    "Kodak Z1012 IS.jpg": "a458e9d6c8f1ad3b61dbbffcc7abb7affed3384ac0c142f8d98ad36659acb22f",
    "Leica T (Typ 701).jpg": "38ddd8e96522bf8a295c96ac02c89bfd3887d2c49f6b8d3874139765f64b199c",
    "Nikon D90.jpg": "bc386ea1646d4122a543aaa88008d04a15f49c34cacc5de1d5d4cc4825985c2f",
    "Oppo R7 Plus.jpg": "aff8540e9e25da1271d0c7e627fae6713e1a5d31ca8208ca649a47c586cf0988",
    "Panasonic DMC-LX3 (Lumix).jpg": "9a23e300f676b0cfa673b59e8e422e402d21b8f3e9ee937c8a3375f6b75367a6",
    "Samsung GT-I9505 (Galaxy S4).jpg": "6ab77efd68f8e5e2744cec1113bdcd037749f65c87f8267c31588050facb5aea",
    "Samsung SM-G935L (Galaxy S7 Edge).jpg": "33516b084ddb3fa7c4c40d55768b729d744fe580792335f5546a4e29cb4e71e6",
    "Samsung SM-N900A (Galaxy Note 3).jpg": "c32671438ca5bb71e71d352f31c41b7ce74cf2034c698e4e404e2285d7f0b99d",
}


def fetch(folder: Path, base_url: str = BASE_URL) -> list[str]:
    """Each photo into ``folder``, skipping those already there with the right digest; the problems."""
    folder.mkdir(parents=True, exist_ok=True)
    problems = []
    for count, (name, digest) in enumerate(PHOTOS.items(), start=1):
        target = folder / name
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == digest:
            continue
        print(f"[{count}/{len(PHOTOS)}] {name}", flush=True)
        try:
            with urllib.request.urlopen(base_url + urllib.parse.quote(name), timeout=60) as response:
                data = response.read()
        except OSError as exc:
            problems.append(f"{name}: cannot download: {exc}")
            continue
        if hashlib.sha256(data).hexdigest() != digest:
            problems.append(f"{name}: SHA-256 is not the pinned one; not written")
            continue
        partial = target.with_name(target.name + ".partial")
        partial.write_bytes(data)
        partial.replace(target)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="where to put them, e.g. benchmarks/photos")
    parser.add_argument("--base-url", default=BASE_URL, help="a mirror of the repository's jpg/ folder")
    args = parser.parse_args(argv)
    problems = fetch(args.folder, args.base_url)
    for line in problems:
        print(f"held_out_photos: {line}", file=sys.stderr)
    print(f"{len(PHOTOS) - len(problems)} of {len(PHOTOS)} photos in {args.folder}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
