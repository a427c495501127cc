#include "flow/sms_length.h"

#include <string>

namespace linkgate::flow {
namespace {

// Decodes one UTF-8 code point at @p i (advancing it); 0xFFFD on malformed input.
char32_t next_code_point(std::string_view s, std::size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i++]);
  if (c < 0x80) return c;
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
  if (extra < 0) return 0xFFFD;
  char32_t cp = c & (0x3F >> extra);
  for (int k = 0; k < extra; ++k) {
    if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
  }
  return cp;
}

// Septets a code point takes in GSM 03.38 (with the extension table), or 0 if not encodable.
int gsm_septets(char32_t cp) {
  static const std::u32string basic =
      U"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
      U"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  static const std::u32string extended = U"^{}\\[~]|€\f";
  if (basic.find(cp) != std::u32string::npos) return 1;
  if (extended.find(cp) != std::u32string::npos) return 2;
  return 0;
}

}  // namespace

std::size_t sms_segments(std::string_view text) {
  std::size_t septets = 0, units = 0;
  bool gsm = true;
  for (std::size_t i = 0; i < text.size();) {
    char32_t cp = next_code_point(text, i);
    units += cp > 0xFFFF ? 2 : 1;
    if (gsm) {
      int n = gsm_septets(cp);
      if (n == 0) {
        gsm = false;
      } else {
        septets += static_cast<std::size_t>(n);
      }
    }
  }
  if (gsm) return septets <= 160 ? 1 : (septets + 152) / 153;
  return units <= 70 ? 1 : (units + 66) / 67;
}

}  // namespace linkgate::flow
