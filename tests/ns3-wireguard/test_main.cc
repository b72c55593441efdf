#define BOOST_TEST_MODULE ns3_wireguard
#include <boost/test/unit_test.hpp>
