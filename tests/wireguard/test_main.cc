#define BOOST_TEST_MODULE wireguard
#include <boost/test/unit_test.hpp>
