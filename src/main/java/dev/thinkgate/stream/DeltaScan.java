package dev.thinkgate.stream;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;

/**
 * The text of a one-choice {@code chat.completion.chunk}, read from its UTF-8 bytes with
 * Jackson's streaming parser: no tree, one String per text field. For the raw relay, which
 * forwards an event's bytes as they are but must still hand its text to screening and the audit
 * record. Anything but the plain shape (one choice, index 0, string-or-null text and finish
 * reason) gives null, and the caller parses the event the usual way.
 */
public final class DeltaScan {
  private static final JsonFactory JSON = new JsonFactory();

  private DeltaScan() {}

  /** Choice 0's {@code delta.reasoning_content}, {@code delta.content} and finish reason. */
  public record Delta(String reasoning, String content, String finishReason) {}

  /**
   * Reads {@code length} bytes of event data from {@code offset}.
   *
   * @return the texts (each null when absent or null), or null when the event is not valid JSON
   *     or not of the plain one-choice shape
   */
  public static Delta scan(byte[] data, int offset, int length) {
    java.util.Objects.checkFromIndexSize(offset, length, data.length);
    Delta fast = fast(data, offset, length);
    return fast != UNSURE ? fast : parse(data, offset, length);
  }

  /**
   * {@link #scan} for the events of one stream, in order. A stream's chunks differ mostly in their
   * text: the bytes before the text value (id, object, created, model, index, the key) and after it
   * (closing quote, logprobs, finish reason) repeat. When an event has the last fast-read event's
   * bytes before and after its one text value, and between them only bytes a JSON string may hold
   * unescaped (no quote, backslash, control character or byte over 0x7F), it parses as that event
   * did with only that value changed: the answer is the last one with the new text, from two array
   * comparisons instead of a parse. Anything else is scanned in full. Not thread-safe.
   */
  public static final class Memo {
    /** The last event's bytes before its text, then those after it; null when not reusable. */
    private byte[] shape;
    private int prefixLength;
    private boolean content;
    /** The last event's other fields, which an event of the same shape shares. */
    private String otherText;
    private String finishReason;
    private long reused;

    /** {@link DeltaScan#scan} of the stream's next event. */
    public Delta scan(byte[] data, int offset, int length) {
      java.util.Objects.checkFromIndexSize(offset, length, data.length);
      if (shape != null) {
        Delta same = reuse(data, offset, length);
        if (same != null) {
          reused++;
          return same;
        }
      }
      AsciiReader reader = new AsciiReader(data, offset, offset + length);
      Delta fast = fast(reader);
      if (fast == UNSURE) {
        shape = null;
        return parse(data, offset, length);
      }
      if (reader.textFrom >= 0) {
        // one array for both sides: the next event's check reads one object, not two
        int p = reader.textFrom - offset;
        int s = offset + length - reader.textTo;
        shape = new byte[p + s];
        System.arraycopy(data, offset, shape, 0, p);
        System.arraycopy(data, reader.textTo, shape, p, s);
        prefixLength = p;
        content = reader.textIsContent;
        otherText = content ? fast.reasoning() : fast.content();
        finishReason = fast.finishReason();
      } else {
        shape = null;
      }
      return fast;
    }

    /** Events answered from the last one's shape (for tests). */
    long reused() {
      return reused;
    }

    private Delta reuse(byte[] data, int offset, int length) {
      byte[] known = shape;
      int p = prefixLength;
      int s = known.length - p;
      int end = offset + length;
      if (length < p + s
          || java.util.Arrays.mismatch(data, offset, offset + p, known, 0, p) >= 0
          || java.util.Arrays.mismatch(data, end - s, end, known, p, p + s) >= 0) {
        return null;
      }
      for (int k = offset + p; k < end - s; k++) {
        byte c = data[k];
        if (c == '"' || c == '\\' || c < 0x20) { // < 0x20 also holds every byte over 0x7F
          return null;
        }
      }
      String text = new String(data, offset + p, length - p - s,
          java.nio.charset.StandardCharsets.ISO_8859_1);
      return content ? new Delta(otherText, text, finishReason)
          : new Delta(text, otherText, finishReason);
    }
  }

  /** Whether the fast reader decided alone (for tests). */
  static boolean readsFast(byte[] data, int offset, int length) {
    return fast(data, offset, length) != UNSURE;
  }

  private static Delta fast(byte[] data, int offset, int length) {
    return fast(new AsciiReader(data, offset, offset + length));
  }

  private static Delta fast(AsciiReader reader) {
    try {
      return reader.read();
    } catch (RuntimeException e) {
      return UNSURE; // a bound it missed: never an answer of its own
    }
  }

  /** The fast reader's answer when it cannot decide: Jackson does. Compared by identity. */
  private static final Delta UNSURE = new Delta(null, null, null);

  /** {@link #scan} with Jackson's streaming parser. */
  private static Delta parse(byte[] data, int offset, int length) {
    try (JsonParser p = JSON.createParser(data, offset, length)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      Delta delta = null;
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if ("choices".equals(field)) {
          delta = value == JsonToken.START_ARRAY ? choices(p) : null;
          if (delta == null) {
            return null;
          }
        } else {
          p.skipChildren();
        }
      }
      if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
        return null; // truncated, or something after the object
      }
      return delta;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Reads the plain shape from ASCII JSON without a parser object: about a fifth of Jackson's
   * cost on a vLLM chunk. It answers only when sure; anything else (a byte over 0x7F, an escape
   * in a key, a repeated field, an index other than {@code 0}, any JSON it does not accept
   * exactly as Jackson would, nesting over 32) is {@link #UNSURE}, and Jackson decides.
   */
  private static final class AsciiReader {
    private static final byte[] CHOICES = {'c', 'h', 'o', 'i', 'c', 'e', 's'};
    private static final byte[] INDEX = {'i', 'n', 'd', 'e', 'x'};
    private static final byte[] DELTA = {'d', 'e', 'l', 't', 'a'};
    private static final byte[] FINISH_REASON = "finish_reason".getBytes(
        java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] REASONING_CONTENT = "reasoning_content".getBytes(
        java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] CONTENT = {'c', 'o', 'n', 't', 'e', 'n', 't'};
    private static final int MAX_DEPTH = 32;

    /** A string value that is JSON null. */
    private static final String NULL = new String("null");
    private final byte[] b;
    private final int end;
    private int i;
    private int keyFrom;
    private int keyTo;
    /** Bounds of the last string {@link #stringOrNull} read without an escape, else -1. */
    private int plainFrom = -1;
    private int plainTo = -1;
    /**
     * Bounds of the delta's one text value when it is a string without escapes and the other
     * text field is absent or null, else -1 (what {@link Memo} may reuse).
     */
    int textFrom = -1;
    int textTo = -1;
    boolean textIsContent;

    AsciiReader(byte[] b, int from, int end) {
      this.b = b;
      this.i = from;
      this.end = end;
    }

    Delta read() {
      if (!open('{')) {
        return UNSURE;
      }
      Delta delta = UNSURE;
      boolean seen = false;
      do {
        if (!key()) {
          return UNSURE;
        }
        if (keyIs(CHOICES)) {
          if (seen) {
            return UNSURE;
          }
          seen = true;
          delta = choices();
          if (delta == UNSURE) {
            return UNSURE;
          }
        } else if (!skipValue(0)) {
          return UNSURE;
        }
      } while (next('}'));
      if (i < 0) {
        return UNSURE;
      }
      ws();
      return i == end && seen ? delta : UNSURE;
    }

    private Delta choices() {
      if (!open('[') || !open('{')) {
        return UNSURE;
      }
      String reasoning = null;
      String content = null;
      String finish = null;
      boolean index = false;
      boolean sawDelta = false;
      boolean sawFinish = false;
      int texts = 0;
      do {
        if (!key()) {
          return UNSURE;
        }
        if (keyIs(INDEX)) {
          ws();
          if (index || i + 1 >= end || b[i] != '0' || !endsNumber(b[i + 1])) {
            return UNSURE;
          }
          index = true;
          i++;
        } else if (keyIs(FINISH_REASON)) {
          String f = stringOrNull();
          if (sawFinish || f == null) {
            return UNSURE;
          }
          sawFinish = true;
          finish = f == NULL ? null : f;
        } else if (keyIs(DELTA)) {
          if (sawDelta || !open('{')) {
            return UNSURE;
          }
          sawDelta = true;
          ws();
          if (i < end && b[i] == '}') {
            i++;
          } else {
            boolean sawReasoning = false;
            boolean sawContent = false;
            do {
              if (!key()) {
                return UNSURE;
              }
              if (keyIs(REASONING_CONTENT) || keyIs(CONTENT)) {
                boolean isContent = keyIs(CONTENT);
                String v = stringOrNull();
                if (v == null || (isContent ? sawContent : sawReasoning)) {
                  return UNSURE;
                }
                if (v != NULL) {
                  texts++;
                  textFrom = plainFrom;
                  textTo = plainTo;
                  textIsContent = isContent;
                }
                if (isContent) {
                  sawContent = true;
                  content = v == NULL ? null : v;
                } else {
                  sawReasoning = true;
                  reasoning = v == NULL ? null : v;
                }
              } else if (!skipValue(1)) {
                return UNSURE;
              }
            } while (next('}'));
            if (i < 0) {
              return UNSURE;
            }
          }
        } else if (!skipValue(1)) {
          return UNSURE;
        }
      } while (next('}'));
      if (i < 0) {
        return UNSURE;
      }
      ws();
      if (i >= end || b[i] != ']') {
        return UNSURE; // not exactly one choice
      }
      i++;
      if (texts != 1) {
        textFrom = -1;
      }
      return new Delta(reasoning, content, finish);
    }

    /** After a member: true on a comma (another member follows), false on {@code close}. */
    private boolean next(char close) {
      ws();
      if (i < end && b[i] == ',') {
        i++;
        return true;
      }
      if (i < end && b[i] == close) {
        i++;
        return false;
      }
      i = -1; // neither: the caller sees i < 0
      return false;
    }

    private boolean open(char c) {
      ws();
      if (i < end && b[i] == c) {
        i++;
        return true;
      }
      return false;
    }

    /** A member's key (ASCII, no escape) and its colon; the key is [keyFrom, keyTo). */
    private boolean key() {
      if (i < 0 || !open('"')) {
        return false;
      }
      keyFrom = i;
      while (i < end && b[i] != '"') {
        if (b[i] == '\\' || b[i] < 0x20) {
          return false; // also any byte over 0x7F (negative)
        }
        i++;
      }
      if (i >= end) {
        return false;
      }
      keyTo = i++;
      return open(':');
    }

    private boolean keyIs(byte[] name) {
      return java.util.Arrays.equals(b, keyFrom, keyTo, name, 0, name.length);
    }

    /** A string value, {@link #NULL} for JSON null, or null when neither or not sure. */
    private String stringOrNull() {
      plainFrom = -1;
      plainTo = -1;
      ws();
      if (i + 4 <= end && b[i] == 'n' && b[i + 1] == 'u' && b[i + 2] == 'l' && b[i + 3] == 'l') {
        i += 4;
        return NULL;
      }
      if (i >= end || b[i] != '"') {
        return null;
      }
      int from = ++i;
      while (i < end && b[i] != '"' && b[i] != '\\' && b[i] >= 0x20) {
        i++;
      }
      if (i < end && b[i] == '"') {
        plainFrom = from;
        plainTo = i;
        return new String(b, from, i++ - from, java.nio.charset.StandardCharsets.ISO_8859_1);
      }
      StringBuilder sb = new StringBuilder(i - from + 16);
      sb.append(new String(b, from, i - from, java.nio.charset.StandardCharsets.ISO_8859_1));
      while (i < end) {
        byte c = b[i];
        if (c == '"') {
          i++;
          return sb.toString();
        }
        if (c < 0x20) {
          return null; // a control character, or a byte over 0x7F
        }
        if (c != '\\') {
          sb.append((char) c);
          i++;
          continue;
        }
        if (i + 1 >= end) {
          return null;
        }
        byte e = b[i + 1];
        i += 2;
        switch (e) {
          case '"', '\\', '/' -> sb.append((char) e);
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'n' -> sb.append('\n');
          case 'r' -> sb.append('\r');
          case 't' -> sb.append('\t');
          case 'u' -> {
            int code = hex4();
            if (code < 0) {
              return null;
            }
            sb.append((char) code);
          }
          default -> {
            return null;
          }
        }
      }
      return null;
    }

    private int hex4() {
      if (i + 4 > end) {
        return -1;
      }
      int code = 0;
      for (int k = 0; k < 4; k++) {
        int d = Character.digit(b[i + k], 16);
        if (d < 0 || b[i + k] < 0) {
          return -1;
        }
        code = code * 16 + d;
      }
      i += 4;
      return code;
    }

    /** Skips one value as Jackson's defaults accept it; false when not sure. */
    private boolean skipValue(int depth) {
      ws();
      if (i >= end || depth > MAX_DEPTH) {
        return false;
      }
      byte c = b[i];
      switch (c) {
        case '"' -> {
          return stringOrNull() != null;
        }
        case '{' -> {
          i++;
          ws();
          if (i < end && b[i] == '}') {
            i++;
            return true;
          }
          do {
            if (!key() || !skipValue(depth + 1)) {
              return false;
            }
          } while (next('}'));
          return i >= 0;
        }
        case '[' -> {
          i++;
          ws();
          if (i < end && b[i] == ']') {
            i++;
            return true;
          }
          do {
            if (!skipValue(depth + 1)) {
              return false;
            }
          } while (next(']'));
          return i >= 0;
        }
        case 't' -> {
          return literal("true");
        }
        case 'f' -> {
          return literal("false");
        }
        case 'n' -> {
          return literal("null");
        }
        default -> {
          return number();
        }
      }
    }

    private boolean literal(String word) {
      int n = word.length();
      if (i + n > end) {
        return false;
      }
      for (int k = 0; k < n; k++) {
        if (b[i + k] != word.charAt(k)) {
          return false;
        }
      }
      i += n;
      return i >= end || !Character.isLetterOrDigit(b[i]);
    }

    /** JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
    private boolean number() {
      if (i < end && b[i] == '-') {
        i++;
      }
      if (i >= end || !digit(b[i])) {
        return false;
      }
      if (b[i] == '0') {
        i++;
      } else {
        while (i < end && digit(b[i])) {
          i++;
        }
      }
      if (i < end && b[i] == '.') {
        i++;
        if (i >= end || !digit(b[i])) {
          return false;
        }
        while (i < end && digit(b[i])) {
          i++;
        }
      }
      if (i < end && (b[i] == 'e' || b[i] == 'E')) {
        i++;
        if (i < end && (b[i] == '+' || b[i] == '-')) {
          i++;
        }
        if (i >= end || !digit(b[i])) {
          return false;
        }
        while (i < end && digit(b[i])) {
          i++;
        }
      }
      return i >= end || endsNumber(b[i]);
    }

    private static boolean digit(byte c) {
      return c >= '0' && c <= '9';
    }

    /** What may follow a number: a separator, a closing bracket or white space. */
    private static boolean endsNumber(byte c) {
      return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
    }

    private void ws() {
      while (i >= 0 && i < end && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r')) {
        i++;
      }
    }
  }

  /** The array's one choice; null for none, several, or one that is not plain. */
  private static Delta choices(JsonParser p) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      return null;
    }
    String reasoning = null;
    String content = null;
    String finish = null;
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken value = p.nextToken();
      switch (field) {
        case "index" -> {
          if (value != JsonToken.VALUE_NUMBER_INT || p.getLongValue() != 0) {
            return null;
          }
        }
        case "finish_reason" -> {
          if (value != JsonToken.VALUE_NULL && value != JsonToken.VALUE_STRING) {
            return null;
          }
          finish = value == JsonToken.VALUE_STRING ? p.getText() : null;
        }
        case "delta" -> {
          if (value != JsonToken.START_OBJECT) {
            return null;
          }
          reasoning = null;
          content = null;
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            boolean text = "reasoning_content".equals(key) || "content".equals(key);
            if (!text) {
              p.skipChildren();
              continue;
            }
            if (v != JsonToken.VALUE_NULL && v != JsonToken.VALUE_STRING) {
              return null;
            }
            String s = v == JsonToken.VALUE_STRING ? p.getText() : null;
            if ("content".equals(key)) {
              content = s;
            } else {
              reasoning = s;
            }
          }
        }
        default -> p.skipChildren();
      }
    }
    if (t != JsonToken.END_OBJECT || p.nextToken() != JsonToken.END_ARRAY) {
      return null;
    }
    return new Delta(reasoning, content, finish);
  }
}
