//! JSON form of numeric IDs: lowercase hex strings as lspci and modaliases
//! print them (`"vendor": "1002"`, `"class": "03"`), not decimal numbers.
//! Used through `#[serde(with = ...)]` on [`crate::Device`]; reading also
//! accepts plain numbers (JSON written before the change).

use serde::{Deserialize, Deserializer, Serializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum HexOrNumber {
    Hex(String),
    Number(u32),
}

fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match Option::<HexOrNumber>::deserialize(d)? {
        None => Ok(None),
        Some(HexOrNumber::Number(n)) => Ok(Some(n)),
        Some(HexOrNumber::Hex(s)) => u32::from_str_radix(&s, 16)
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("not a hex id: {s:?}"))),
    }
}

/// 16-bit IDs: vendor, device, subsystem (`"8086"`).
pub(crate) mod hex4 {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&format!("{v:04x}")),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        de(d)
    }
}

/// 8-bit codes: class, subclass, prog-if, revision (`"0c"`; wider values
/// such as USB's bcdDevice keep all their digits).
pub(crate) mod hex2 {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Option<u32>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&format!("{v:02x}")),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        de(d)
    }
}

#[cfg(test)]
mod tests {
    use crate::Device;

    #[test]
    fn ids_are_lowercase_hex_strings() {
        let d = Device {
            vendor: Some(0x1002),
            device: Some(0x1638),
            class: Some(0x0c),
            revision: Some(0xc1),
            ..Default::default()
        };
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(v["vendor"], "1002");
        assert_eq!(v["device"], "1638");
        assert_eq!(v["class"], "0c");
        assert_eq!(v["revision"], "c1");
        let back: Device = serde_json::from_value(v).unwrap();
        assert_eq!(back, d);
        let old: Device = serde_json::from_str(r#"{"bus":"pci","address":"","vendor":4098}"#).unwrap();
        assert_eq!(old.vendor, Some(0x1002));
    }
}
