// MS-5 / CACHE-2: avatars named by contact records and by the own profile are
// fetched from MS (at most two at a time) and stored in the client cache.
#include <gtest/gtest.h>

#include "tests/mc/fake_sg.h"

namespace mcpsim::reference::mctest {
namespace {

TEST(McAvatar, ChangedAvatarsAreFetchedIntoTheCache) {
  McConfig cfg;
  cfg.cache_path = ":memory:";
  cfg.dp = Endpoint::V4(0x0A000001, 80);
  FakeSg sg(cfg);
  sg.mc().QueryDispatch(sg.now);
  sg.TakeDatagrams();
  ASSERT_EQ(sg.http_out.size(), 1u);
  HttpResponse aqqw;
  aqqw.body = "AQQW 1 0 none 1.3.0  udp://10.0.0.2:1863 tcp://10.0.0.3:1864 udp://10.0.0.4:7000 "
              "http://10.0.0.9:8081\r\n";
  sg.mc().OnHttpResponse(sg.now, sg.http_out[0].conn, true, aqqw);
  sg.http_out.clear();
  sg.Events();
  sg.Login("alice@live.cn", "full", 3,
           {{"A", "bob@live.cn", "Bob", "", "av-bob", 1, 0},
            {"A", "carol@live.cn", "Carol", "", "", 1, 0},
            {"A", "dave@live.cn", "Dave", "", "av-dave", 1, 0}},
           {"2", "Alice", "", "av-alice"});
  sg.TakeDatagrams();
  std::map<std::string, std::string> fetched;  // target -> bytes served
  for (int round = 0; round < 5 && !sg.http_out.empty(); ++round) {
    EXPECT_LE(sg.http_out.size(), 2u);
    auto batch = std::move(sg.http_out);
    sg.http_out.clear();
    for (const Output& o : batch) {
      EXPECT_EQ(o.to, Endpoint::V4(0x0A000009, 8081));
      EXPECT_EQ(o.request.method, "GET");
      HttpResponse r;
      r.content_type = "image/png";
      r.body = "png:" + o.request.target;
      fetched[o.request.target] = r.body;
      sg.mc().OnHttpResponse(sg.now, o.conn, true, r);
    }
    sg.TakeDatagrams();
  }
  EXPECT_EQ(fetched.size(), 3u);
  EXPECT_TRUE(fetched.count("/media/av-bob"));
  EXPECT_TRUE(fetched.count("/media/av-dave"));
  EXPECT_TRUE(fetched.count("/media/av-alice"));
  ClientCache* cache = sg.mc().cache();
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(*cache->Avatar(cfg.device_id, "alice@live.cn", "bob@live.cn").value(),
            "png:/media/av-bob");
  EXPECT_EQ(*cache->Avatar(cfg.device_id, "alice@live.cn", "").value(), "png:/media/av-alice");
  EXPECT_FALSE(cache->Avatar(cfg.device_id, "alice@live.cn", "carol@live.cn").value().has_value());
  // A record whose avatarId changes loses the old image and fetches the new one.
  sg.Deliver(sg.Request("RCS", {"4", "delta", "1"}));
  sg.Deliver(sg.Page(4, 1, 1, {{"M", "bob@live.cn", "Bob", "", "av-bob2", 2, 0}}));
  sg.TakeDatagrams();
  EXPECT_FALSE(cache->Avatar(cfg.device_id, "alice@live.cn", "bob@live.cn").value().has_value());
  ASSERT_EQ(sg.http_out.size(), 1u);
  EXPECT_EQ(sg.http_out[0].request.target, "/media/av-bob2");
  EXPECT_TRUE(sg.Events().size() >= 1u);
}

}  // namespace
}  // namespace mcpsim::reference::mctest
