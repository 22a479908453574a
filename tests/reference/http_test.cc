#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "reference/http/http1.h"

namespace mcpsim::reference::http {
namespace {

HttpRequest Post() {
  HttpRequest r;
  r.method = "POST";
  r.target = "/mcp";
  r.headers["sessionid"] = "00112233445566778899aabbccddeeff";
  r.body = "RAP 1 x\r\nREG 2 a b\r\n";
  return r;
}

TEST(Http1, RequestRoundTripsAtEverySplit) {
  const std::string wire = SerializeRequest(Post(), "10.0.0.2:80");
  for (std::size_t cut = 0; cut <= wire.size(); ++cut) {
    RequestParser p;
    ASSERT_TRUE(p.Append(wire.substr(0, cut)).ok());
    if (cut < wire.size()) {
      EXPECT_FALSE(p.Next().has_value()) << cut;
      ASSERT_TRUE(p.Append(wire.substr(cut)).ok());
    }
    auto m = p.Next();
    ASSERT_TRUE(m.has_value()) << cut;
    EXPECT_EQ(m->method, "POST");
    EXPECT_EQ(m->target, "/mcp");
    EXPECT_EQ(m->headers.at("sessionid"), "00112233445566778899aabbccddeeff");
    EXPECT_EQ(m->headers.at("host"), "10.0.0.2:80");
    EXPECT_EQ(m->body, Post().body);
    EXPECT_FALSE(p.Partial());
  }
}

TEST(Http1, ResponseRoundTrips) {
  HttpResponse r;
  r.status = 404;
  r.content_type = "application/octet-stream";
  r.body = std::string("\0\x01no", 4);
  ResponseParser p;
  ASSERT_TRUE(p.Append(SerializeResponse(r)).ok());
  auto m = p.Next();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->status, 404);
  EXPECT_EQ(m->content_type, "application/octet-stream");
  EXPECT_EQ(m->body, r.body);
}

TEST(Http1, HeadResponseHasContentLengthAndNoBody) {
  // MS-6 / RFC 9110 §9.3.2: the GET body's length, no body bytes.
  HttpResponse r;
  r.content_type = "image/png";
  r.head_length = 209;
  const std::string wire = SerializeResponse(r);
  EXPECT_NE(wire.find("Content-Length: 209\r\n"), std::string::npos) << wire;
  EXPECT_EQ(wire.substr(wire.size() - 4), "\r\n\r\n");
  // A client that knows it sent HEAD reads no body (RFC 9112 §6.3) ...
  ResponseParser head;
  head.SetHeadRequest(true);
  ASSERT_TRUE(head.Append(wire).ok());
  auto m = head.Next();
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->headers.at("content-length"), "209");
  EXPECT_TRUE(m->body.empty());
  EXPECT_TRUE(head.Buffered().empty());
  // ... and bytes after the header block stay buffered (a body sent illegally).
  ResponseParser extra;
  extra.SetHeadRequest(true);
  ASSERT_TRUE(extra.Append(wire + "xyz").ok());
  ASSERT_TRUE(extra.Next().has_value());
  EXPECT_EQ(extra.Buffered(), "xyz");
  // Without the HEAD flag the parser waits for the 209 announced bytes.
  ResponseParser get;
  ASSERT_TRUE(get.Append(wire).ok());
  EXPECT_FALSE(get.Next().has_value());
  // 204 and 304 never have a body.
  ResponseParser n;
  ASSERT_TRUE(n.Append("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n").ok());
  auto nm = n.Next();
  ASSERT_TRUE(nm.has_value());
  EXPECT_TRUE(nm->body.empty());
}

TEST(Http1, MalformedInputIsAnError) {
  RequestParser a;
  EXPECT_EQ(a.Append("GARBAGE\r\n\r\n").clause(), "HTTP-1");
  RequestParser b;
  EXPECT_FALSE(b.Append("POST /mcp HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").ok());
  RequestParser c;
  EXPECT_FALSE(c.Append(std::string(9000, 'a')).ok());  // header too large
  RequestParser d(10);
  EXPECT_FALSE(d.Append("POST /mcp HTTP/1.1\r\nContent-Length: 11\r\n\r\n").ok());
}

// Fuzz find (fuzz/corpus/http1/regress-split-error-differs.bin): a malformed
// head after a complete request was reported by Append when it arrived in a
// later piece, but silently swallowed by Next when it arrived with the
// request. Every split point must give the same messages and the same error.
TEST(Http1, PipelinedMalformedHeadGivesTheSameErrorWholeOrSplitAtEveryByte) {
  const std::string in = "GET /mcp HTTP/1.1\r\nX: 1\r\n\r\n0\r\n\r\n";
  auto run = [&](std::size_t cut) {
    RequestParser p;
    int messages = 0;
    std::string error;
    for (std::string_view piece : {std::string_view(in).substr(0, cut), std::string_view(in).substr(cut)}) {
      if (Status s = p.Append(piece); !s.ok()) {
        error = s.clause();
        break;
      }
      while (p.Next()) ++messages;
      if (!p.error().ok()) {
        error = p.error().clause();
        break;
      }
    }
    return std::make_pair(messages, error);
  };
  for (std::size_t cut = 0; cut <= in.size(); ++cut) {
    SCOPED_TRACE(cut);
    EXPECT_EQ(run(cut), std::make_pair(1, std::string("HTTP-1")));
  }
  RequestParser failed;
  (void)failed.Append(in);
  (void)failed.Next();
  ASSERT_FALSE(failed.Next().has_value());
  EXPECT_EQ(failed.error().clause(), "HTTP-1");
  EXPECT_EQ(failed.Append("more").clause(), "HTTP-1");  // the same error, not a new one
}

TEST(Http1, QueryParams) {
  EXPECT_EQ(*QueryParam("/mcp?q=RQQW%201%20x&v=2", "q"), "RQQW 1 x");
  EXPECT_EQ(*QueryParam("/mcp?q=RQQW%201%20x&v=2", "v"), "2");
  EXPECT_FALSE(QueryParam("/mcp?q=a", "z").has_value());
  EXPECT_FALSE(QueryParam("/mcp?q=%zz", "q").has_value());
  EXPECT_EQ(TargetPath("/media/7?x"), "/media/7");
  EXPECT_EQ(*UrlDecode(UrlEncode("a b%c\r\n\xe4\xb8\xad")), "a b%c\r\n\xe4\xb8\xad");
}

RC_GTEST_PROP(Http1, ArbitraryBytesNeverCrash, (const std::string& bytes)) {
  RequestParser p(1024);
  (void)p.Append(bytes);
  (void)p.Next();
}

}  // namespace
}  // namespace mcpsim::reference::http
