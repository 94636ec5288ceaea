//! Decoding a provider's image within limits and encoding claimgate's own
//! PNG from its pixels: no byte of the original (metadata, comments, EXIF,
//! colour profiles, trailing data) survives.

use super::{Refusal, MAX_STORED_BYTES};
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ImageEncoder, ImageError, ImageFormat, ImageReader, Limits};
use std::io::Cursor;

/// The largest side of a picture claimgate serves.
pub const MAX_SIDE: u32 = 256;
/// The largest side of a source image decoded: a small file declaring more
/// (a decompression bomb) is refused before its pixels are allocated.
const MAX_SOURCE_SIDE: u32 = 4096;
/// The most a decoder may allocate (a 4096×4096 RGBA image).
const MAX_DECODE_ALLOC: u64 = 64 * 1024 * 1024;

/// The image in `bytes` (PNG, JPEG, GIF or WebP; the first frame of an
/// animation), scaled to fit [`MAX_SIDE`], as an RGBA PNG of at most
/// [`MAX_STORED_BYTES`]: one that would be larger (a detailed photo) is
/// scaled to half that side, which always fits.
pub fn reencode(bytes: &[u8]) -> Result<Vec<u8>, Refusal> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|_| Refusal::NotAnImage)?;
    if !matches!(reader.format(), Some(ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP)) {
        return Err(Refusal::NotAnImage);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_SIDE);
    limits.max_image_height = Some(MAX_SOURCE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| match e {
        ImageError::Limits(_) => Refusal::TooManyPixels,
        _ => Refusal::Undecodable,
    })?;
    let png = encode_within(&image, MAX_SIDE)?;
    if png.len() <= MAX_STORED_BYTES {
        return Ok(png);
    }
    // 128×128 RGBA is 64 KiB of pixels: within the cap even uncompressed.
    let png = encode_within(&image, MAX_SIDE / 2)?;
    if png.len() <= MAX_STORED_BYTES {
        Ok(png)
    } else {
        Err(Refusal::TooLarge)
    }
}

/// `image` scaled to fit `side` (never up), as an RGBA PNG.
fn encode_within(image: &DynamicImage, side: u32) -> Result<Vec<u8>, Refusal> {
    let scaled;
    let image = if image.width() > side || image.height() > side {
        scaled = image.thumbnail(side, side);
        &scaled
    } else {
        image
    };
    let mut png = Vec::new();
    // Fast deflate: a picture is encoded at a login, on the login's path;
    // the size cap above still holds (a larger result is kept smaller).
    let encoder = PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Adaptive);
    // No alpha channel where the source has none (JPEG): a quarter less to
    // filter and compress.
    let written = if image.color().has_alpha() {
        let rgba = image.to_rgba8();
        encoder.write_image(rgba.as_raw(), rgba.width(), rgba.height(), image::ExtendedColorType::Rgba8)
    } else {
        let rgb = image.to_rgb8();
        encoder.write_image(rgb.as_raw(), rgb.width(), rgb.height(), image::ExtendedColorType::Rgb8)
    };
    written.map_err(|_| Refusal::Undecodable)?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb, RgbImage};

    fn png_of(width: u32, height: u32) -> Vec<u8> {
        let img: RgbImage = ImageBuffer::from_fn(width, height, |x, y| Rgb([x as u8, y as u8, 7]));
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png).unwrap();
        out
    }

    // Metadata and decompression bombs: tests/api/pictures.rs, through a login.

    #[test]
    fn large_pictures_are_scaled_down() {
        let out = image::load_from_memory(&reencode(&png_of(1000, 500)).unwrap()).unwrap();
        assert_eq!((out.width(), out.height()), (MAX_SIDE, MAX_SIDE / 2));
        let small = image::load_from_memory(&reencode(&png_of(40, 30)).unwrap()).unwrap();
        assert_eq!((small.width(), small.height()), (40, 30), "small pictures keep their size");
    }

    #[test]
    fn other_content_is_refused() {
        assert_eq!(reencode(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), Err(Refusal::NotAnImage));
        assert_eq!(reencode(b"<html>hello</html>"), Err(Refusal::NotAnImage));
        let mut truncated = png_of(64, 64);
        truncated.truncate(60);
        assert_eq!(reencode(&truncated), Err(Refusal::Undecodable));
    }
}
