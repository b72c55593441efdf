#define BOOST_TEST_MODULE ns3_gre_ipsec
#include <boost/test/unit_test.hpp>
