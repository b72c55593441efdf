#define BOOST_TEST_MODULE attack
#include <boost/test/unit_test.hpp>
